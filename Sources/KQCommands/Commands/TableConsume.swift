import KQLog

/// `kq consume TOPIC --table`: the table a changelog describes. Each key once, with its last
/// value; keys whose last record is a tombstone (null value) are left out, and so are records
/// without a key. Reads every partition to the end it has now, twice: first to find each
/// key's last offset, then to print those records, each partition in offset order. Memory
/// grows with the number of keys, not records.
enum TableConsume {
  static func run(options: ConsumeOptions, service: any LogService, partitions: [Int], session: Session) throws {
    let printer = RecordPrinter(output: options.output, topic: options.topic.value)
    let output = ByteBuffer(capacity: 1 << 16)
    var printed = 0
    for partition in partitions {
      let reader = try service.openReader(options.topic, partition: partition)
      let (start, end) = try reader.bounds()
      var last: [[UInt8]: (offset: Int64, isTombstone: Bool)] = [:]
      try forEachRecord(reader, from: start, before: end) { record in
        guard let key = record.key else { return }
        last[Array(key)] = (record.offset, record.value == nil)
      }
      var wanted = Set<Int64>()
      for entry in last.values where !entry.isTombstone { wanted.insert(entry.offset) }
      last = [:]
      try forEachRecord(reader, from: start, before: end) { record in
        guard wanted.contains(record.offset), options.maxRecords.map({ printed < $0 }) ?? true else { return }
        do { try printer.print(record, partition: partition, into: output) } catch {
          throw reader.damage((error as? BatchDecodeError) ?? .malformedRecord(index: record.index))
        }
        printed += 1
        if output.count >= 1 << 16 { try flush(output, session) }
      }
    }
    try flush(output, session)
  }

  private static func flush(_ output: ByteBuffer, _ session: Session) throws {
    guard output.count > 0 else { return }
    do throws(Errno) { try session.context.stdout.write(output.bytes) } catch {
      throw Context.outputFailure(error)
    }
    output.count = 0
  }

  private static func forEachRecord(
    _ reader: any PartitionReading, from start: Int64, before end: Int64, _ body: (RecordView) throws -> Void
  ) throws {
    try reader.seek(to: start)
    while reader.position < end, let batch = try reader.nextBatch() {
      do {
        try batch.forEachRecord { record in
          if record.offset >= start && record.offset < end { try body(record) }
          return true
        }
      } catch let error as BatchDecodeError { throw reader.damage(error) }
    }
  }
}
