/// Snappy, as Kafka carries it: the raw format (a varint length, then literals and copies),
/// inside the xerial block framing that Kafka's Java client writes (snappy-java's
/// `SnappyOutputStream`): a 16-byte header, then chunks of a big-endian length and the raw
/// snappy of at most 32 KiB of input. librdkafka and others write raw snappy; a stream that
/// does not start with the xerial magic is read as raw.
enum Snappy {
  /// 0x82 "SNAPPY" 0x00: the xerial header's magic; then version and compatible version, each
  /// a big-endian Int32 (1 and 1; not checked, as some writers put them little-endian).
  static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
  static let xerialHeaderSize = 16
  static let xerialVersion: UInt32 = 1
  static let xerialCompatibleVersion: UInt32 = 1
  /// Uncompressed bytes per xerial chunk, snappy-java's default.
  static let xerialChunkSize = 32 * 1024

  /// The most bytes a raw snappy stream of `count` bytes takes (snappy's MaxCompressedLength).
  static func maximumCompressedLength(_ count: Int) -> Int { 32 + count + count / 6 }

  static func decompressXerialOrRaw(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
    let base = input.bytePointer
    if hasXerialMagic(base, count: input.count, at: 0) {
      return try decompressXerial(base, count: input.count, limit: limit)
    }
    return try decompressRaw(base, count: input.count, limit: limit)
  }

  static func hasXerialMagic(_ base: UnsafePointer<UInt8>, count: Int, at position: Int) -> Bool {
    guard count - position >= xerialHeaderSize else { return false }
    for (index, byte) in xerialMagic.enumerated() where base[position + index] != byte { return false }
    return true
  }

  /// One raw snappy stream, the whole input.
  static func decompressRaw(_ base: UnsafePointer<UInt8>, count: Int, limit: Int) throws(CompressionError) -> [UInt8] {
    let (length, preambleSize) = try readPreamble(base, count: count, at: 0)
    guard length <= limit else { throw .outputLimitExceeded(.snappy, limit: limit) }
    return try makeBytes(capacity: length) { (output) throws(CompressionError) in
      try decodeElements(base, from: preambleSize, to: count, into: output, length: length)
      return length
    }
  }

  /// The varint32 at `position`, a raw stream's uncompressed length, and its size in bytes.
  static func readPreamble(_ base: UnsafePointer<UInt8>, count: Int, at position: Int) throws(CompressionError) -> (Int, Int) {
    var value: UInt64 = 0
    for index in 0..<5 {
      guard position + index < count else { throw .truncated(.snappy, position: position) }
      let byte = base[position + index]
      value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
      if byte & 0x80 == 0 {
        guard value <= UInt64(UInt32.max) else { throw .malformed(.snappy, .badVarint, position: position) }
        return (Int(value), index + 1)
      }
    }
    throw .malformed(.snappy, .badVarint, position: position)
  }
}
