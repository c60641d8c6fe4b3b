/// Zstandard (RFC 8878). Decoding reads every frame a Kafka batch may carry: any block type,
/// FSE and Huffman tables (described, predefined, one-symbol, repeated), repeat offsets,
/// skippable frames, concatenated frames, the content checksum; frames that need a dictionary
/// are refused by name. Encoding is `Zstd+Encode.swift`.
enum Zstd {
  static let magic: UInt32 = 0xFD2F_B528
  static let skippableMagicMask: UInt32 = 0xFFFF_FFF0
  static let skippableMagic: UInt32 = 0x184D_2A50
  /// The most a block holds, compressed or not (Block_Maximum_Size at most).
  static let maximumBlockSize = 128 * 1024

  /// One frame of `input` (see `ZstdEncoder`).
  static func compress(
    _ input: UnsafeRawBufferPointer, singleSegmentLimit: Int = ZstdEncoder.singleSegmentLimit
  ) -> [UInt8] {
    let encoder = ZstdEncoder(input.bytePointer, count: input.count, singleSegmentLimit: singleSegmentLimit)
    return makeEncodedBytes(capacity: ZstdEncoder.bound(input.count) + 8) { output in encoder.encodeFrame(into: output) }
  }

  /// The content of every frame in `input`, one after another; at most `limit` bytes.
  static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
    let base = input.bytePointer
    let bound = try outputBound(base, count: input.count, limit: limit)
    let capacity = min(bound, limit)
    return try makeBytes(capacity: capacity) { (output) throws(CompressionError) in
      try decode(base, count: input.count, into: output, capacity: capacity, isCappedByLimit: bound > limit, limit: limit)
    }
  }
}
