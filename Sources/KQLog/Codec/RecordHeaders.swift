/// A record's headers as stored (Kafka's v2 record, RecordBatch+Layout.swift): after the
/// varint count, each a varint key length and key, then a varint value length (-1: null) and
/// value, ending exactly at the record's end.
enum RecordHeaders {
  /// Walks `count` headers from `position` to `end` in `base`, calling `body` with each key and
  /// value (nil when null); false when one runs past `end`, a length is out of range, or bytes
  /// are left over after the last.
  @inline(__always)
  static func walk(
    _ base: UnsafeRawPointer, count: Int, from position: Int, end: Int,
    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) throws -> Void
  ) rethrows -> Bool {
    guard count >= 0 else { return false }
    var p = position
    for _ in 0..<count {
      guard let keyLength = VarInt.read(base, at: &p, end: end, maxBytes: 5).flatMap({ Int(exactly: $0) }),
        keyLength >= 0, keyLength <= end - p
      else { return false }
      let key = UnsafeRawBufferPointer(start: base + p, count: keyLength)
      p += keyLength
      guard let valueLength = VarInt.read(base, at: &p, end: end, maxBytes: 5).flatMap({ Int(exactly: $0) }),
        valueLength >= -1, valueLength <= end - p
      else { return false }
      let value = valueLength < 0 ? nil : UnsafeRawBufferPointer(start: base + p, count: valueLength)
      p += max(valueLength, 0)
      try body(key, value)
    }
    return p == end
  }
}
