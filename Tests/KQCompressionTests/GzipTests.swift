import KQTestSupport
import Testing

@testable import KQCompression

@Suite("gzip")
struct GzipTests {
  @Test("gzip round trips at every size class")
  func roundTrip() throws {
    for (name, input) in CodecCorpus.sizeClasses() {
      let compressed = try CompressionCodec.gzip.compress(input)
      #expect(Array(compressed.prefix(3)) == [0x1F, 0x8B, 0x08], "\(name)")
      #expect(try CompressionCodec.gzip.decompress(compressed, limit: input.count) == input, "\(name)")
    }
  }

  @Test("the output limit is exact, whatever the trailer's stated size")
  func outputLimit() throws {
    var random = SeededGenerator(seed: 31)
    let input = CodecCorpus.logLines(count: 300_000, using: &random)
    var stream = try CompressionCodec.gzip.compress(input)
    #expect(try CompressionCodec.gzip.decompress(stream, limit: input.count) == input)
    #expect(throws: CompressionError.outputLimitExceeded(.gzip, limit: input.count - 1)) {
      try CompressionCodec.gzip.decompress(stream, limit: input.count - 1)
    }
    // A trailer that understates the size: the output grows, to the limit and no further.
    stream.replaceSubrange((stream.count - 4)..., with: [10, 0, 0, 0])
    #expect(throws: CompressionError.malformed(.gzip, .deflate("incorrect length check"), position: stream.count)) {
      try CompressionCodec.gzip.decompress(stream, limit: input.count)
    }
    #expect(throws: CompressionError.outputLimitExceeded(.gzip, limit: 100_000)) {
      try CompressionCodec.gzip.decompress(stream, limit: 100_000)
    }
  }

  @Test("members back to back decode as one; bytes after the last member are malformed")
  func members() throws {
    let first = Array("first member ".utf8)
    let second = Array("second member".utf8)
    let both = try CompressionCodec.gzip.compress(first) + CompressionCodec.gzip.compress(second)
    #expect(try CompressionCodec.gzip.decompress(both, limit: 100) == first + second)
    let padded = try CompressionCodec.gzip.compress(first) + [0, 0]
    #expect(throws: CompressionError.malformed(.gzip, .trailingBytes, position: padded.count - 2)) {
      try CompressionCodec.gzip.decompress(padded, limit: 100)
    }
  }

  /// zlib names the damage; the position is where it stopped reading, just past it.
  @Test("a cut stream is truncated, a wrong CRC-32 malformed, a zlib stream refused")
  func damage() throws {
    let input = Array("some text to compress, some text to compress".utf8)
    let stream = try CompressionCodec.gzip.compress(input)
    #expect(throws: CompressionError.truncated(.gzip, position: stream.count - 3)) {
      try CompressionCodec.gzip.decompress(Array(stream.dropLast(3)), limit: 100)
    }
    #expect(throws: CompressionError.truncated(.gzip, position: 0)) { try CompressionCodec.gzip.decompress([], limit: 100) }
    var badCRC = stream
    badCRC[stream.count - 8] ^= 1
    #expect(throws: CompressionError.malformed(.gzip, .deflate("incorrect data check"), position: stream.count - 4)) {
      try CompressionCodec.gzip.decompress(badCRC, limit: 100)
    }
    #expect(throws: CompressionError.malformed(.gzip, .deflate("incorrect header check"), position: 2)) {
      try CompressionCodec.gzip.decompress([0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01], limit: 100)
    }
  }
}

/// kq's gzip against Python's gzip and zlib modules and kafka-python's codec.
@Suite("gzip against Python's gzip and zlib")
struct GzipInteropTests {
  static let corpus = CodecCorpus.sizeClasses(seed: 32)

  static let writers: [(name: String, source: String)] = [
    ("gzip.compress, level 9", "import gzip\ndef transform(data): return gzip.compress(data)"),
    ("kafka-python's gzip_encode", "from kafka.codec import gzip_encode\ndef transform(data): return gzip_encode(data)"),
    (
      "zlib, level 1, with a file name and a comment",
      """
      import zlib, struct
      def transform(data):
          header = b'\\x1f\\x8b\\x08\\x18' + struct.pack('<I', 1700000000) + b'\\x00\\x03name.log\\x00comment\\x00'
          body = zlib.compressobj(1, zlib.DEFLATED, -15)
          deflated = body.compress(data) + body.flush()
          return header + deflated + struct.pack('<II', zlib.crc32(data), len(data) & 0xFFFFFFFF)
      """
    ),
  ]

  @Test(
    "kq decodes the gzip Python writes", .enabled(if: TestPeer.python3.shouldRun && TestPeer.kafkaPython.shouldRun),
    arguments: writers.indices)
  func decodesPythonStreams(writer: Int) throws {
    try TestPeer.python3.require()
    try TestPeer.kafkaPython.require()
    let streams = try PythonTransform.run(Self.writers[writer].source, over: Self.corpus.map(\.bytes))
    for ((name, input), stream) in zip(Self.corpus, streams) {
      let bytes = try #require(stream.bytes, "\(Self.writers[writer].name), \(name): \(stream)")
      #expect(try CompressionCodec.gzip.decompress(bytes, limit: input.count) == input, "\(Self.writers[writer].name), \(name)")
    }
  }

  @Test("Python's gzip module decodes kq's gzip", .enabled(if: TestPeer.python3.shouldRun))
  func pythonDecodesKQStreams() throws {
    try TestPeer.python3.require()
    let streams = try Self.corpus.map { try CompressionCodec.gzip.compress($0.bytes) }
    let decoded = try PythonTransform.run("import gzip\ndef transform(data): return gzip.decompress(data)", over: streams)
    #expect(decoded == Self.corpus.map { .bytes($0.bytes) })
  }

  @Test("kq's gzip of log lines is within 10% of zlib's default level", .enabled(if: TestPeer.python3.shouldRun))
  func ratioMatchesZlib() throws {
    try TestPeer.python3.require()
    var random = SeededGenerator(seed: 33)
    let logs = CodecCorpus.logLines(count: 1 << 20, using: &random)
    let library = try PythonTransform.run(
      """
      import zlib
      def transform(data):
          compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 31)
          return compressor.compress(data) + compressor.flush()
      """, over: [logs])
    let reference = try #require(library.first?.bytes).count
    let ours = try CompressionCodec.gzip.compress(logs).count
    #expect(Double(ours) <= Double(reference) * 1.10, "kq \(ours) bytes, zlib \(reference) bytes")
  }
}
