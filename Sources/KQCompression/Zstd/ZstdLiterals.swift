/// The literals section of a compressed block (RFC 8878, 3.1.1.3.1): raw, one byte repeated,
/// Huffman-coded with a new tree, or with the previous block's tree ("treeless"), in one
/// stream or four.
extension ZstdDecoder {
  enum LiteralsType: UInt8 {
    case raw = 0
    case rle = 1
    case compressed = 2
    case treeless = 3
  }

  /// Decodes the literals at `start` (before `end`) into `literalBuffer`; returns how many and
  /// the section's size in bytes.
  func decodeLiterals(_ base: UnsafePointer<UInt8>, start: Int, end: Int) throws(CompressionError) -> (count: Int, used: Int) {
    let available = end - start
    guard available >= 1 else { throw .truncated(.zstd, position: start) }
    let first = Int(base[start])
    let type = LiteralsType(rawValue: UInt8(first & 3)) ?? .raw
    let sizeFormat = (first >> 2) & 3
    switch type {
    case .raw, .rle:
      let headerSize: Int
      let count: Int
      switch sizeFormat {
      case 0, 2:
        headerSize = 1
        count = first >> 3
      case 1:
        headerSize = 2
        guard available >= 2 else { throw .truncated(.zstd, position: start) }
        count = (first >> 4) + (Int(base[start + 1]) << 4)
      default:
        headerSize = 3
        guard available >= 3 else { throw .truncated(.zstd, position: start) }
        count = (first >> 4) + (Int(base[start + 1]) << 4) + (Int(base[start + 2]) << 12)
      }
      guard count <= literalCapacity else { throw .malformed(.zstd, .blockTooLarge, position: start) }
      if type == .raw {
        guard available - headerSize >= count else { throw .truncated(.zstd, position: start) }
        literalBuffer.copyBytes(from: base + start + headerSize, count: count)
        return (count, headerSize + count)
      }
      guard available - headerSize >= 1 else { throw .truncated(.zstd, position: start) }
      literalBuffer.update(repeating: base[start + headerSize], count: count)
      return (count, headerSize + 1)
    case .compressed, .treeless:
      let headerSize = sizeFormat < 2 ? 3 : sizeFormat + 2
      let fieldBits = sizeFormat < 2 ? 10 : 4 * sizeFormat + 6  // 10, 10, 14, 18
      guard available >= headerSize else { throw .truncated(.zstd, position: start) }
      var header = 0
      for index in 0..<headerSize { header |= Int(base[start + index]) << (8 * index) }
      let mask = (1 << fieldBits) - 1
      let count = (header >> 4) & mask
      let compressedSize = (header >> (4 + fieldBits)) & mask
      guard count <= literalCapacity else { throw .malformed(.zstd, .blockTooLarge, position: start) }
      guard available - headerSize >= compressedSize else { throw .truncated(.zstd, position: start) }
      var streams = start + headerSize
      let streamsEnd = streams + compressedSize
      if type == .compressed {
        streams += try ZstdHuffman.readTable(
          base + streams, count: compressedSize, into: &huffman, scratch: weightTable, position: streams)
        hasHuffman = true
      } else {
        guard hasHuffman else { throw .malformed(.zstd, .badEntropyTable, position: start) }
      }
      if sizeFormat == 0 {
        try ZstdHuffman.decodeStream(
          base + streams, size: streamsEnd - streams, table: huffman, into: literalBuffer, count: count, position: streams)
      } else {
        try ZstdHuffman.decodeFourStreams(
          base + streams, size: streamsEnd - streams, table: huffman, into: literalBuffer, count: count, position: streams)
      }
      return (count, headerSize + compressedSize)
    }
  }
}
