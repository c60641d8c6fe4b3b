import KQTestSupport
import Testing

@testable import KQCompression

/// Every decoder meets truncated, bit-flipped, spliced and random input with a
/// `CompressionError` or with at most `limit` bytes: never a crash, a hang or an allocation
/// beyond the limit. Seeded, bounded loops; a failure names its codec and seed.
@Suite("hostile input")
struct HostileInputTests {
  static let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

  /// Small valid streams of each kind of content, the material the mutations start from.
  static func samples(_ codec: CompressionCodec) throws -> [[UInt8]] {
    var random = SeededGenerator(seed: 77)
    let inputs: [[UInt8]] = [
      CodecCorpus.logLines(count: 3000, using: &random),
      CodecCorpus.runsAndNoise(count: 2000, using: &random),
      Array("abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".utf8),
      [UInt8](repeating: 9, count: 500),
      random.bytes(count: 40),
    ]
    let library = codec == .zstd
      ? [ZstdFixtures.logLinesLevel3, ZstdFixtures.logLinesStreamedLevel19, ZstdFixtures.runsAndNoiseLevel9] : []
    return try inputs.map { try codec.compress($0) }.filter { !$0.isEmpty } + library
  }

  /// Decodes `input` with `limit`; a result must respect the limit, an error must be a
  /// `CompressionError` (typed throws guarantee that; this names the case in a failure).
  static func decodeRespectingLimit(_ codec: CompressionCodec, _ input: [UInt8], limit: Int) -> Result<[UInt8], CompressionError> {
    let result = Result { () throws(CompressionError) in try codec.decompress(input, limit: limit) }
    if case .success(let bytes) = result { #expect(bytes.count <= limit, "\(codec): \(bytes.count) bytes past limit \(limit)") }
    return result
  }

  @Test("every proper prefix of a one-frame stream is an error", arguments: codecs)
  func truncatedStreamsFail(codec: CompressionCodec) throws {
    for sample in try Self.samples(codec) {
      for length in 0..<sample.count {
        // A xerial header alone is a whole (empty) stream: snappy's framing has no end mark.
        if codec == .snappy, length == Snappy.xerialHeaderSize { continue }
        let result = Self.decodeRespectingLimit(codec, Array(sample[0..<length]), limit: 1 << 20)
        #expect(throws: CompressionError.self, "\(codec), prefix of \(length) of \(sample.count)") { try result.get() }
      }
    }
  }

  @Test("bit flips, overwritten bytes, splices and cuts give an error or bytes within the limit", arguments: codecs)
  func mutatedStreams(codec: CompressionCodec) throws {
    let samples = try Self.samples(codec)
    for seed in 0..<UInt64(3000) {
      var random = SeededGenerator(seed: seed)
      var stream = samples[Int(seed) % samples.count]
      for _ in 0..<Int.random(in: 1...3, using: &random) {
        Self.mutate(&stream, using: &random)
      }
      _ = Self.decodeRespectingLimit(codec, stream, limit: Int.random(in: 0...20_000, using: &random))
    }
  }

  @Test("random bytes, and random bytes after a valid header, give an error or bytes within the limit", arguments: codecs)
  func randomStreams(codec: CompressionCodec) throws {
    let header = Array(try codec.compress([]).prefix(16))
    for seed in 0..<UInt64(2000) {
      var random = SeededGenerator(seed: seed)
      var stream = seed % 2 == 0 ? [] : Array(header.prefix(Int.random(in: 0...header.count, using: &random)))
      stream += random.bytes(count: Int.random(in: 0...300, using: &random))
      _ = Self.decodeRespectingLimit(codec, stream, limit: 1 << 16)
    }
  }

  static func mutate(_ stream: inout [UInt8], using random: inout SeededGenerator) {
    guard !stream.isEmpty else {
      stream = random.bytes(count: 8)
      return
    }
    let position = Int.random(in: 0..<stream.count, using: &random)
    switch Int.random(in: 0..<5, using: &random) {
    case 0: stream[position] ^= 1 << UInt8.random(in: 0...7, using: &random)
    case 1: stream[position] = UInt8.random(in: 0...255, using: &random)
    case 2: stream.removeSubrange(position...)
    case 3:
      let length = Int.random(in: 1...16, using: &random)
      stream.insert(contentsOf: random.bytes(count: length), at: position)
    default:
      let start = Int.random(in: 0..<stream.count, using: &random)
      let piece = stream[start..<min(stream.count, start + Int.random(in: 1...64, using: &random))]
      stream.replaceSubrange(position..<min(stream.count, position + piece.count), with: piece)
    }
  }
}

@Suite("hostile sizes")
struct HostileSizeTests {
  @Test("a limit of Int.max is as good as any: sizes plus the limit never overflow", arguments: CompressionCodec.allCases)
  func hugeLimit(codec: CompressionCodec) throws {
    let input = Array("the same input, the same input, the same input".utf8)
    #expect(try codec.decompress(codec.compress(input), limit: .max) == input)
    #expect(throws: CompressionError.outputLimitExceeded(codec, limit: 0)) {
      try codec.decompress(codec.compress(input), limit: -5)
    }
  }

  @Test("a gzip trailer stating 4 GiB does not make a 30-byte stream allocate 4 GiB")
  func gzipStatedSizeIsCapped() throws {
    #expect(Gzip.initialCapacity(count: 30, stated: 0xFFFF_FFFF, limit: 1 << 40) == 30 * 1032)
    #expect(Gzip.initialCapacity(count: 30, stated: 1000, limit: 1 << 40) == 1000)
    #expect(Gzip.initialCapacity(count: 30, stated: 1000, limit: 500) == 500)
    var stream = try CompressionCodec.gzip.compress([1, 2, 3])
    stream.replaceSubrange((stream.count - 4)..., with: [0xFF, 0xFF, 0xFF, 0xFF])
    #expect(throws: CompressionError.malformed(.gzip, .deflate("incorrect length check"), position: stream.count)) {
      try CompressionCodec.gzip.decompress(stream, limit: .max)
    }
  }
}
