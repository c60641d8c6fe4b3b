import KQLog

/// Where an idempotent batch the broker already has is stored. A broker answers a batch sent
/// again (its answer was lost) either with the first answer (Kafka, for its last five batches)
/// or with DUPLICATE_SEQUENCE_NUMBER and no offset (Tansu 0.6.0); then the batch is looked up
/// by its producer id, epoch and base sequence, from the end of the log backwards.
extension KafkaCluster {
  /// The base offset of the batch of `producer` with `baseSequence` in a partition, searched
  /// in windows growing from the high watermark back to the log start; nil when not found.
  func storedBatchOffset(
    _ topic: String, partition: Int32, producer: ProducerIdentity, baseSequence: Int32, recordCount: Int,
    deadline: Deadline
  ) throws(KafkaError) -> Int64? {
    let probe = try fetch(topic, partition: partition, from: 0, maxBytes: 1, isolation: .readUncommitted)
    let logStart = max(0, probe.logStartOffset)
    let end = probe.highWatermark
    var window = Int64(max(recordCount, 1)) * 2 + 64
    var to = end
    while to > logStart && !deadline.hasPassed {
      let from = max(logStart, to - window)
      var offset = from
      while offset < to {
        let fetched = try fetch(topic, partition: partition, from: offset, maxBytes: 4 << 20, isolation: .readUncommitted)
        guard let found = Self.batch(in: fetched.records, of: producer, baseSequence: baseSequence, from: offset) else {
          return nil
        }
        if let base = found.base { return base }
        guard found.next > offset else { break }
        offset = found.next
      }
      to = from
      window = window.multipliedReportingOverflow(by: 4).overflow ? Int64.max / 2 : window * 4
    }
    return nil
  }

  /// Scans whole batches: the base offset of the one sought, or where the scan ended (nil when
  /// the bytes are not whole v2 batches).
  private static func batch(in records: [UInt8], of producer: ProducerIdentity, baseSequence: Int32, from offset: Int64)
    -> (base: Int64?, next: Int64)?
  {
    records.withUnsafeBytes { bytes -> (base: Int64?, next: Int64)? in
      guard let start = bytes.baseAddress else { return (nil, offset) }
      var position = 0
      var next = offset
      while position < bytes.count {
        guard let batch = try? RecordBatchView(at: start + position, available: bytes.count - position) else { return nil }
        let epoch = start.loadUnaligned(fromByteOffset: position + BatchLayout.producerEpoch, as: Int16.self)
        let sequence = start.loadUnaligned(fromByteOffset: position + BatchLayout.baseSequence, as: Int32.self)
        if batch.producerId == producer.id && Int16(bigEndian: epoch) == producer.epoch
          && Int32(bigEndian: sequence) == baseSequence
        {
          return (batch.baseOffset, batch.nextOffset)
        }
        next = max(next, batch.nextOffset)
        position += batch.size
      }
      return (nil, next)
    }
  }
}
