import KQTestSupport
import Testing

@testable import KQCompression

@Suite("snappy")
struct SnappyTests {
  static func raw(_ input: [UInt8]) -> [UInt8] {
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: Snappy.maximumHashTableSize)
    defer { table.deallocate() }
    var output = [UInt8](repeating: 0, count: Snappy.maximumCompressedLength(input.count))
    let written = input.withUnsafeBufferPointer { source in
      output.withUnsafeMutableBufferPointer { destination in
        Snappy.compressRaw(
          source.baseAddress ?? UnsafePointer(destination.baseAddress!), count: source.count,
          into: destination.baseAddress!, table: table)
      }
    }
    return Array(output.prefix(written))
  }

  @Test("xerial streams round trip at every size class")
  func xerialRoundTrip() throws {
    for (name, input) in CodecCorpus.sizeClasses() {
      let compressed = try CompressionCodec.snappy.compress(input)
      #expect(try CompressionCodec.snappy.decompress(compressed, limit: input.count) == input, "\(name)")
    }
  }

  @Test("raw streams (as librdkafka writes) round trip at every size class, across 64 KiB fragments")
  func rawRoundTrip() throws {
    for (name, input) in CodecCorpus.sizeClasses() {
      let compressed = Self.raw(input)
      #expect(try CompressionCodec.snappy.decompress(compressed, limit: input.count) == input, "\(name)")
    }
  }

  @Test("the xerial stream is snappy-java's: header with versions 1 and 1, a chunk per 32 KiB")
  func xerialFraming() throws {
    let header: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]
    #expect(try CompressionCodec.snappy.compress([]) == header)
    #expect(try CompressionCodec.snappy.decompress(header, limit: 0) == [])
    var random = SeededGenerator(seed: 8)
    let input = random.bytes(count: 32 * 1024 + 1)
    let stream = try CompressionCodec.snappy.compress(input)
    #expect(Array(stream.prefix(16)) == header)
    let firstSize = Int(stream[16]) << 24 | Int(stream[17]) << 16 | Int(stream[18]) << 8 | Int(stream[19])
    #expect(Array(stream[20..<23]) == [0x80, 0x80, 0x02])  // preamble: 32768
    let second = 20 + firstSize
    #expect(Array(stream[second..<(second + 5)]) == [0, 0, 0, 3, 0x01])  // 3 bytes: preamble 1, one literal
    #expect(stream.count == second + 7)
  }

  @Test("concatenated xerial streams decode as one (snappy-java reads them so)")
  func concatenatedXerial() throws {
    let first = Array("first part, first part, first part".utf8)
    let second = Array("and the second".utf8)
    let stream = try CompressionCodec.snappy.compress(first) + CompressionCodec.snappy.compress(second)
    #expect(try CompressionCodec.snappy.decompress(stream, limit: 100) == first + second)
  }

  @Test("the xerial output size is summed from the chunks' preambles and checked before decoding")
  func xerialLimit() throws {
    var random = SeededGenerator(seed: 9)
    let input = CodecCorpus.logLines(count: 100_000, using: &random)
    let stream = try CompressionCodec.snappy.compress(input)
    #expect(try CompressionCodec.snappy.decompress(stream, limit: input.count) == input)
    #expect(throws: CompressionError.outputLimitExceeded(.snappy, limit: input.count - 1)) {
      try CompressionCodec.snappy.decompress(stream, limit: input.count - 1)
    }
    // A raw stream that declares 4 GiB - 1 bytes in five bytes.
    #expect(throws: CompressionError.outputLimitExceeded(.snappy, limit: 1 << 20)) {
      try CompressionCodec.snappy.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00], limit: 1 << 20)
    }
  }

  @Test("a raw stream that decodes to other than its declared length is malformed")
  func rawLengthMismatch() throws {
    // Declares 5 bytes, holds a 4-byte literal.
    #expect(throws: CompressionError.malformed(.snappy, .sizeMismatch(declared: 5, decoded: 4), position: 6)) {
      try CompressionCodec.snappy.decompress([0x05, 0x0C, 0x61, 0x62, 0x63, 0x64], limit: 100)
    }
    // Declares 3 bytes, holds a 4-byte literal.
    #expect(throws: CompressionError.malformed(.snappy, .sizeMismatch(declared: 3, decoded: 4), position: 1)) {
      try CompressionCodec.snappy.decompress([0x03, 0x0C, 0x61, 0x62, 0x63, 0x64], limit: 100)
    }
    // A copy before the start.
    #expect(throws: CompressionError.malformed(.snappy, .badMatchOffset, position: 3)) {
      try CompressionCodec.snappy.decompress([0x06, 0x00, 0x61, 0x05, 0x02], limit: 100)
    }
  }

  @Test("a xerial chunk of size 0 or negative is malformed; one past the end is truncated")
  func xerialChunkSizes() throws {
    let header = try CompressionCodec.snappy.compress([])
    #expect(throws: CompressionError.malformed(.snappy, .badBlockSize, position: 16)) {
      try CompressionCodec.snappy.decompress(header + [0, 0, 0, 0], limit: 100)
    }
    #expect(throws: CompressionError.malformed(.snappy, .badBlockSize, position: 16)) {
      try CompressionCodec.snappy.decompress(header + [0xFF, 0xFF, 0xFF, 0xFF, 0], limit: 100)
    }
    #expect(throws: CompressionError.truncated(.snappy, position: 16)) {
      try CompressionCodec.snappy.decompress(header + [0, 0, 0, 3, 0x01, 0x00], limit: 100)
    }
  }
}
