import Glibc

/// The common input of `kq produce` and of `kq pipe`'s command, lines (or NUL-terminated
/// records) without keys into one partition, encoded by one loop in this module: `append`
/// is inlined into it, and nothing per record looks at flags, partitions or encoders.
extension BatchEncoder {
  /// What `appendLines` did: where it stopped in the input, the records it appended and the
  /// bytes the buffer grew by.
  package struct AppendedLines {
    package var end: Int
    package var records: Int
    package var bytes: Int

    package init(end: Int, records: Int, bytes: Int) {
      self.end = end
      self.records = records
      self.bytes = bytes
    }
  }

  /// Appends every terminated line of `base[start..<count]` as a record with no key, the line
  /// as its value (the terminator left out) and `headers`, at `timestamp`. Stops at the first
  /// unterminated line, before the first line longer than `largestValue` (its caller decides
  /// whether it may be stored) and, when `stopsBeforeBatch`, before the first line that opens
  /// a batch (`opensBatch`), so that a caller can give such a record headers of its own.
  @inline(__always)
  package func appendLines(
    _ base: UnsafeRawPointer, from start: Int, count: Int, delimiter: Int32, headers: UnsafeRawBufferPointer,
    timestamp: Int64, largestValue: Int, stopsBeforeBatch: Bool
  ) -> AppendedLines {
    var start = start
    var records = 0
    var bytes = 0
    while start < count, let found = memchr(base + start, delimiter, count - start) {
      let end = UnsafeRawPointer(found) - base
      let length = end - start
      guard length <= largestValue else { break }
      if stopsBeforeBatch && opensBatch(keyCount: -1, valueCount: length, headersCount: headers.count) { break }
      bytes &+= append(key: nil, value: UnsafeRawBufferPointer(start: base + start, count: length), headers: headers, timestamp: timestamp)
      records &+= 1
      start = end + 1
    }
    return AppendedLines(end: start, records: records, bytes: bytes)
  }

  /// Whether a record of these sizes would open a batch (none is open, or it might not fit in
  /// the open one): a caller that must know which record opens a batch seals first then.
  @inline(__always)
  package func opensBatch(keyCount: Int, valueCount: Int, headersCount: Int) -> Bool {
    let open = openBatchBytes
    return open == 0
      || open + Self.recordBytesBound(keyCount: keyCount, valueCount: valueCount, headersCount: headersCount) > maxBatchBytes
  }
}
