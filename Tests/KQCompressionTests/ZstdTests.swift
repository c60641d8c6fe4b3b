import KQTestSupport
import Testing

@testable import KQCompression

@Suite("zstd")
struct ZstdTests {
  @Test("frames the zstd library wrote decode: one-shot with checksum, streamed in blocks at level 19, no content size")
  func libraryFixtures() throws {
    let logs = try CompressionCodec.zstd.decompress(ZstdFixtures.logLinesLevel3, limit: 4000)
    #expect(logs.count == 4000)
    #expect(logs.starts(with: Array("2024-05-01T12:".utf8)))
    #expect(try CompressionCodec.zstd.decompress(ZstdFixtures.logLinesStreamedLevel19, limit: 4000) == logs)
    #expect(try CompressionCodec.zstd.decompress(ZstdFixtures.runsAndNoiseLevel9, limit: 3000).count == 3000)
  }

  @Test("the output limit: a stated content size above it is refused before decoding; without one, at the limit")
  func outputLimit() throws {
    #expect(throws: CompressionError.outputLimitExceeded(.zstd, limit: 3999)) {
      try CompressionCodec.zstd.decompress(ZstdFixtures.logLinesLevel3, limit: 3999)
    }
    #expect(throws: CompressionError.outputLimitExceeded(.zstd, limit: 2999)) {
      try CompressionCodec.zstd.decompress(ZstdFixtures.runsAndNoiseLevel9, limit: 2999)
    }
    #expect(throws: CompressionError.outputLimitExceeded(.zstd, limit: 0)) {
      try CompressionCodec.zstd.decompress(ZstdFixtures.runsAndNoiseLevel9, limit: 0)
    }
  }

  @Test("a wrong content checksum is named, with both values")
  func checksumMismatch() throws {
    var frame = ZstdFixtures.logLinesLevel3
    let stored = UInt32(frame[frame.count - 4]) | UInt32(frame[frame.count - 3]) << 8
      | UInt32(frame[frame.count - 2]) << 16 | UInt32(frame[frame.count - 1]) << 24
    frame[frame.count - 1] ^= 0x80
    #expect(throws: CompressionError.checksumMismatch(.zstd, .zstdContent, stored: stored ^ 0x8000_0000, computed: stored)) {
      try CompressionCodec.zstd.decompress(frame, limit: 4000)
    }
  }

  @Test("header and block damage is named: reserved bit, reserved block type, oversized block, no frame at all")
  func headerDamage() throws {
    // Magic, single segment with a 1-byte content size of 3, one raw last block "abc".
    let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x03, 0x19, 0x00, 0x00, 0x61, 0x62, 0x63]
    #expect(try CompressionCodec.zstd.decompress(frame, limit: 3) == Array("abc".utf8))
    var reservedBit = frame
    reservedBit[4] |= 0x08
    #expect(throws: CompressionError.malformed(.zstd, .reservedBitSet, position: 4)) {
      try CompressionCodec.zstd.decompress(reservedBit, limit: 3)
    }
    var reservedType = frame
    reservedType[6] = 0x1F  // last, type 3, size 3
    #expect(throws: CompressionError.malformed(.zstd, .badBlockType, position: 6)) {
      try CompressionCodec.zstd.decompress(reservedType, limit: 3)
    }
    // A raw block of 4 bytes in a frame whose window (its content size) is 3.
    let oversized: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x03, 0x21, 0x00, 0x00, 0x61, 0x62, 0x63, 0x64]
    #expect(throws: CompressionError.malformed(.zstd, .badBlockSize, position: 6)) {
      try CompressionCodec.zstd.decompress(oversized, limit: 100)
    }
    // No content size and a 1 KiB window: the blocks alone give the size.
    let short: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x19, 0x00, 0x00, 0x61, 0x62, 0x63]
    #expect(try CompressionCodec.zstd.decompress(short, limit: 3) == Array("abc".utf8))
    let skippableOnly: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 0x01, 0x00, 0x00, 0x00, 0x7A]
    #expect(throws: CompressionError.truncated(.zstd, position: 9)) {
      try CompressionCodec.zstd.decompress(skippableOnly, limit: 100)
    }
    #expect(try CompressionCodec.zstd.decompress(skippableOnly + frame, limit: 3) == Array("abc".utf8))
  }

  @Test("a declared content size the blocks do not fill is a size mismatch")
  func contentSizeMismatch() throws {
    // FCS 4 (single segment), one raw block "abc".
    let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x04, 0x19, 0x00, 0x00, 0x61, 0x62, 0x63]
    #expect(throws: CompressionError.malformed(.zstd, .sizeMismatch(declared: 4, decoded: 3), position: 12)) {
      try CompressionCodec.zstd.decompress(frame, limit: 100)
    }
  }
}

@Suite("zstd encoding")
struct ZstdEncodingTests {
  @Test("zstd round trips at every size class")
  func roundTrip() throws {
    for (name, input) in CodecCorpus.sizeClasses() {
      let frame = try CompressionCodec.zstd.compress(input)
      #expect(try CompressionCodec.zstd.decompress(frame, limit: input.count) == input, "\(name)")
    }
  }

  @Test("seeded inputs of every kind and size round trip", arguments: 0..<40 as Range<UInt64>)
  func seededRoundTrip(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let size = [0, 1, 5, 100, 1000, 70_000, 300_000][Int(seed % 7)] + Int.random(in: 0...50, using: &random)
    let input: [UInt8] =
      switch seed % 4 {
      case 0: CodecCorpus.logLines(count: size, using: &random)
      case 1: CodecCorpus.runsAndNoise(count: size, using: &random)
      case 2: (0..<size).map { _ in UInt8.random(in: 0...3, using: &random) * 60 }  // four symbols: tiny codes
      default: (0..<size).map { UInt8(truncatingIfNeeded: ($0 / 7) &* 131) ^ UInt8.random(in: 0...1, using: &random) }
      }
    let frame = try CompressionCodec.zstd.compress(input)
    #expect(try CompressionCodec.zstd.decompress(frame, limit: input.count) == input)
  }

  @Test("log lines compress to well under half, and the frame states its content size")
  func compresses() throws {
    var random = SeededGenerator(seed: 51)
    let input = CodecCorpus.logLines(count: 500_000, using: &random)
    let frame = try CompressionCodec.zstd.compress(input)
    #expect(frame.count < input.count / 3)
    #expect(Array(frame.prefix(9)) == [0x28, 0xB5, 0x2F, 0xFD, 0xA0] + [0x20, 0xA1, 0x07, 0x00])
    #expect(try CompressionCodec.zstd.compress([]) == [0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x00, 0x01, 0x00, 0x00])
  }
}

@Suite("zstd Huffman code lengths")
struct ZstdHuffmanLengthTests {
  /// The Kraft sum of `lengths` in units of 2^-limit: a complete code sums to 2^limit.
  static func kraft(_ lengths: [Int], limit: Int = 30) -> Int { lengths.reduce(0) { $0 + (1 << (limit - $1)) } }

  @Test("Huffman's lengths and package-merge's agree in cost, and both codes are complete", arguments: 0..<30 as Range<UInt64>)
  func lengthsAreOptimalAndComplete(seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    let count = Int.random(in: 2...256, using: &random)
    let weights = (0..<count).map { _ in Int.random(in: 1...(seed % 2 == 0 ? 10 : 100_000), using: &random) }.sorted()
    let huffman = ZstdHuffman.EncodingTable.huffmanLengths(weights)
    let merged = ZstdHuffman.EncodingTable.limitedLengths(weights, limit: 30)
    #expect(Self.kraft(huffman) == 1 << 30)
    #expect(Self.kraft(merged) == 1 << 30)
    let cost = { (lengths: [Int]) in zip(weights, lengths).reduce(0) { $0 + $1.0 * $1.1 } }
    #expect(cost(huffman) == cost(merged))
    let limited = ZstdHuffman.EncodingTable.limitedLengths(weights, limit: 11)
    #expect(limited.allSatisfy { $0 <= 11 } && Self.kraft(limited, limit: 11) == 1 << 11)
  }

  @Test("skewed counts (Fibonacci) need more than 11 bits unlimited; the table limits them and round trips")
  func deepTreesAreLimited() throws {
    var counts: [Int] = [1, 1]
    while counts.count < 20 { counts.append(counts[counts.count - 1] + counts[counts.count - 2]) }
    #expect((ZstdHuffman.EncodingTable.huffmanLengths(counts).max() ?? 0) > 11)
    var input: [UInt8] = []
    for (symbol, count) in counts.enumerated() { input += [UInt8](repeating: UInt8(symbol * 7), count: count) }
    var random = SeededGenerator(seed: 5)
    input.shuffle(using: &random)
    let frame = try CompressionCodec.zstd.compress(input)
    #expect(try CompressionCodec.zstd.decompress(frame, limit: input.count) == input)
  }
}
