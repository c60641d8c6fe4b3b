import Glibc
import KQLog

/// Records from lines: plain and keyed lines through their one-pass encoders, any other line
/// (JSON, -K with a longer delimiter, --key, -Z, -p) one record at a time.
extension Producer {
  /// The common input, keyless lines into one partition, encoded by `BatchEncoder.appendLines`
  /// (the loop `kq pipe` uses too): no per-record look at flags, partition or encoder. Stops
  /// before the first line that may be too large (`record` then decides) and returns where it
  /// stopped.
  func plainRecords(_ base: UnsafeMutableRawPointer, count: Int, delimiter: Int32) -> Int {
    let partition = options.partition ?? stickyPartition
    let encoder = unretainedEncoders[partition] ?? Unmanaged.passUnretained(makeEncoder(partition))
    let headers = fixedHeaderBytes
    let largestValue = Int(config.maxMessageBytes) - headers.count - batchOverhead
    let appended = encoder._withUnsafeGuaranteedRef { encoder in
      encoder.appendLines(
        base, from: 0, count: count, delimiter: delimiter, headers: headers, timestamp: timestamp, largestValue: largestValue,
        stopsBeforeBatch: false)
    }
    recordsSeen += appended.records
    pendingBytes += appended.bytes
    return appended.end
  }

  /// Keyed lines through `keyedLines`; a line it leaves (no delimiter, maybe too large) goes
  /// through `record` and the loop goes on after it. Returns where the last whole line ended.
  func keyedRecords(_ keyed: KeyedLineEncoder, _ base: UnsafeMutableRawPointer, count: Int, delimiter: Int32)
    throws -> Int
  {
    var start = 0
    while start < count {
      let progress = unretainedEncoders.withUnsafeBufferPointer {
        keyed.encode(base, from: start, count: count, into: $0, timestamp: timestamp)
      }
      recordsSeen += progress.records
      pendingBytes += progress.bytes
      start = progress.end
      if let partition = progress.partitionWithoutEncoder {
        _ = makeEncoder(partition)
        continue
      }
      guard start < count, let found = memchr(base + start, delimiter, count - start) else { break }
      let end = UnsafeMutableRawPointer(found) - base
      try record(UnsafeRawBufferPointer(start: base + start, count: end - start))
      start = end + 1
    }
    return start
  }

  @inline(__always)
  func record(_ bytes: UnsafeRawBufferPointer) throws {
    recordsSeen += 1
    if options.framing == .json { return try jsonRecord(bytes) }
    var key: UnsafeRawBufferPointer? = nil
    var value: UnsafeRawBufferPointer? = bytes
    if options.keyDelimiter != nil {
      if let (split, length) = findKeyDelimiter(in: bytes) {
        key = UnsafeRawBufferPointer(rebasing: bytes[0..<split])
        value = UnsafeRawBufferPointer(rebasing: bytes[(split + length)...])
      } else if let fixed = options.fixedKey {
        return try fixed.withUnsafeBytes { try store(key: $0, value: emptyAsNull(bytes), headers: nil, partition: nil, timestamp: nil) }
      }
    } else if let fixed = options.fixedKey {
      return try fixed.withUnsafeBytes { try store(key: $0, value: emptyAsNull(bytes), headers: nil, partition: nil, timestamp: nil) }
    }
    if let v = value { value = emptyAsNull(v) }
    try store(key: key, value: value, headers: nil, partition: nil, timestamp: nil)
  }

  @inline(__always)
  private func emptyAsNull(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    options.emptyAsNull && bytes.count == 0 ? nil : bytes
  }

  /// Where `-K`'s delimiter starts in `bytes`, and its length.
  @inline(__always)
  private func findKeyDelimiter(in bytes: UnsafeRawBufferPointer) -> (Int, Int)? {
    if let byte = keyDelimiterByte {
      guard let base = bytes.baseAddress, let hit = memchr(base, byte, bytes.count) else { return nil }
      return (UnsafeRawPointer(hit) - base, 1)
    }
    guard let delimiter = options.keyDelimiter, let at = delimiter.withUnsafeBytes({ bytes.firstOffset(of: $0) }) else {
      return nil
    }
    return (at, delimiter.count)
  }

  private func jsonRecord(_ bytes: UnsafeRawBufferPointer) throws {
    var line = bytes
    if line.count > 0 && line[line.count - 1] == 13 { line = UnsafeRawBufferPointer(rebasing: line[0..<(line.count - 1)]) }
    if line.allSatisfy({ $0 == 32 || $0 == 9 }) {
      recordsSeen -= 1  // blank lines between JSON records are skipped
      return
    }
    let parsed: JSONRecord
    do { parsed = try JSONRecord.parse(line) } catch {
      try flush()
      throw ProduceInputError.malformedJSON(line: recordsSeen, reason: error.message, stored: recordsStored)
    }
    if let timestamp = parsed.timestamp, !RecordTimestamp.isValid(timestamp) {
      try flush()
      throw ProduceInputError.malformedJSON(
        line: recordsSeen, reason: "timestamp \(timestamp) is before 1970: a record's time is 1970 or later, or -1 for none",
        stored: recordsStored)
    }
    var headers = options.headers
    headers += parsed.headers.map { Header(key: $0.key, value: $0.value) }
    let encoded = EncodedHeaders(headers)
    let key = parsed.key ?? options.fixedKey
    try encoded.bytes.withUnsafeBytes { headerBytes in
      try withOptionalBytes(key) { key in
        try withOptionalBytes(parsed.value) { value in
          try store(
            key: key, value: value.map { emptyAsNull($0) } ?? nil, headers: headerBytes,
            partition: parsed.partition, timestamp: parsed.timestamp)
        }
      }
    }
  }

  @inline(__always)
  private func store(
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer?, partition explicit: Int?,
    timestamp recordTimestamp: Int64?
  ) throws {
    let partition: Int
    if let fixed = options.partition {
      partition = fixed
    } else if let explicit {
      if explicit >= config.partitions {
        try flush()
        guard addsPartitions, explicit < TopicConfig.maxPartitions else {
          throw ProduceInputError.partitionOutOfRange(
            line: recordsSeen, partition: explicit, partitions: config.partitions, stored: recordsStored, topic: options.topic.value)
        }
        try addPartitions(upTo: explicit)
      }
      partition = explicit
    } else if let key {
      partition = config.partitions == 1 ? 0 : Partitioner.partition(forKey: key, partitions: config.partitions)
    } else {
      partition = stickyPartition
    }
    if key == nil && isCompacted {
      try flush()
      throw ProduceInputError.keyRequired(line: recordsSeen, stored: recordsStored, topic: options.topic.value)
    }
    let headerBytes = headers ?? fixedHeaderBytes
    let approximate = (key?.count ?? 0) + (value?.count ?? 0) + headerBytes.count + batchOverhead
    if approximate > Int(config.maxMessageBytes) {
      let size = BatchEncoder.batchSize(key: key, value: value, headerBytes: headerBytes.count)
      if size > Int(config.maxMessageBytes) {
        try flush()
        throw ProduceInputError.recordTooLarge(
          line: recordsSeen, size: size, limit: config.maxMessageBytes, stored: recordsStored, topic: options.topic.value)
      }
    }
    let encoder = unretainedEncoders[partition] ?? Unmanaged.passUnretained(makeEncoder(partition))
    pendingBytes += encoder._withUnsafeGuaranteedRef {
      $0.append(key: key, value: value, headers: headerBytes, timestamp: recordTimestamp ?? timestamp)
    }
    if options.printOffsets { pendingPartitions.append(Int32(partition)) }
  }
}
