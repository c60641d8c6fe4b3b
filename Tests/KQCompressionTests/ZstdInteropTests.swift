import KQTestSupport
import Testing

@testable import KQCompression

/// kq's zstd against the zstd C library (PyPI `zstandard`) and kafka-python's codec.
@Suite("zstd against the zstd library")
struct ZstdInteropTests {
  static let corpus = CodecCorpus.sizeClasses(seed: 41)

  /// Frames as writers make them: levels from negative (fast) to 19, with and without the
  /// content size and checksum, streamed in pieces (Kafka's Java producer streams: no content
  /// size, blocks cut where writes end), long-distance matching, several frames around a
  /// skippable one, and blocks the library would never pick (forced raw literals).
  static let writers: [(name: String, source: String)] = [
    ("level 3", "import zstandard\ndef transform(data): return zstandard.ZstdCompressor(level=3).compress(data)"),
    ("level 1", "import zstandard\ndef transform(data): return zstandard.ZstdCompressor(level=1).compress(data)"),
    ("level -5", "import zstandard\ndef transform(data): return zstandard.ZstdCompressor(level=-5).compress(data)"),
    ("level 19", "import zstandard\ndef transform(data): return zstandard.ZstdCompressor(level=19).compress(data)"),
    ("level 9", "import zstandard\ndef transform(data): return zstandard.ZstdCompressor(level=9).compress(data)"),
    (
      "checksum, no content size",
      """
      import zstandard
      def transform(data):
          return zstandard.ZstdCompressor(level=3, write_checksum=True, write_content_size=False).compress(data)
      """
    ),
    (
      "streamed in 1000-byte writes",
      """
      import zstandard, io
      def transform(data):
          out = io.BytesIO()
          with zstandard.ZstdCompressor(level=3).stream_writer(out, closefd=False) as writer:
              for i in range(0, len(data), 1000):
                  writer.write(data[i:i + 1000])
                  if i % 7000 == 0:
                      writer.flush()
          return out.getvalue()
      """
    ),
    (
      "long-distance matching, window log 24",
      """
      import zstandard
      def transform(data):
          params = zstandard.ZstdCompressionParameters.from_level(5, enable_ldm=True, window_log=24)
          return zstandard.ZstdCompressor(compression_params=params).compress(data)
      """
    ),
    (
      "two frames around a skippable frame",
      """
      import zstandard, struct
      def transform(data):
          half = len(data) // 2
          c = zstandard.ZstdCompressor(level=3, write_checksum=True)
          return c.compress(data[:half]) + struct.pack('<II', 0x184D2A53, 3) + b'abc' + c.compress(data[half:])
      """
    ),
    (
      "kafka-python's zstd_encode",
      "from kafka.codec import zstd_encode\ndef transform(data): return zstd_encode(data)"
    ),
  ]

  @Test(
    "kq decodes what the zstd library writes, at every level and frame setting",
    .enabled(if: TestPeer.pythonZstandard.shouldRun), arguments: writers.indices)
  func decodesLibraryFrames(writer: Int) throws {
    try TestPeer.pythonZstandard.require()
    let frames = try PythonTransform.run(Self.writers[writer].source, over: Self.corpus.map(\.bytes))
    for ((name, input), frame) in zip(Self.corpus, frames) {
      let bytes = try #require(frame.bytes, "\(Self.writers[writer].name), \(name): \(frame)")
      #expect(
        try CompressionCodec.zstd.decompress(bytes, limit: input.count) == input, "\(Self.writers[writer].name), \(name)")
    }
  }

  @Test(
    "the zstd library and kafka-python's codec decode what kq writes",
    .enabled(if: TestPeer.pythonZstandard.shouldRun))
  func libraryDecodesKQFrames() throws {
    try TestPeer.pythonZstandard.require()
    var inputs = Self.corpus.map(\.bytes)
    var random = SeededGenerator(seed: 42)
    for seed in 0..<20 {
      let size = [5, 300, 5000, 140_000][seed % 4]
      inputs.append(seed % 2 == 0 ? CodecCorpus.logLines(count: size, using: &random) : CodecCorpus.runsAndNoise(count: size, using: &random))
    }
    var frames = try inputs.map { try CompressionCodec.zstd.compress($0) }
    // Frames past the single-segment size have a window descriptor: force that path too.
    let windowed = CodecCorpus.logLines(count: 300_000, using: &random)
    inputs.append(windowed)
    frames.append(windowed.withUnsafeBytes { Zstd.compress($0, singleSegmentLimit: 1000) })
    #expect(frames.last?[4] == 0xC0)
    #expect(try CompressionCodec.zstd.decompress(frames[frames.count - 1], limit: windowed.count) == windowed)
    let decoded = try PythonTransform.run(
      "import zstandard\ndef transform(data): return zstandard.ZstdDecompressor().decompress(data)", over: frames)
    #expect(decoded == inputs.map { .bytes($0) })
    if TestPeer.kafkaPython.isInstalled {
      let viaKafka = try PythonTransform.run(
        "from kafka.codec import zstd_decode\ndef transform(data): return zstd_decode(data)", over: frames)
      #expect(viaKafka == inputs.map { .bytes($0) })
    }
  }

  @Test(
    "kq's zstd of log lines is within 10% of the library's default level",
    .enabled(if: TestPeer.pythonZstandard.shouldRun))
  func ratioMatchesLibrary() throws {
    try TestPeer.pythonZstandard.require()
    var random = SeededGenerator(seed: 43)
    let logs = CodecCorpus.logLines(count: 1 << 20, using: &random)
    let library = try PythonTransform.run(
      "import zstandard\ndef transform(data): return zstandard.ZstdCompressor().compress(data)", over: [logs])
    let reference = try #require(library.first?.bytes).count
    let ours = try CompressionCodec.zstd.compress(logs).count
    #expect(Double(ours) <= Double(reference) * 1.10, "kq \(ours) bytes, zstd \(reference) bytes")
  }

  @Test(
    "a frame that needs a dictionary is refused by its ID", .enabled(if: TestPeer.pythonZstandard.shouldRun))
  func dictionaryRefused() throws {
    try TestPeer.pythonZstandard.require()
    // The dictionary's ID (4 bytes, little-endian), then a frame compressed with it.
    let outputs = try PythonTransform.run(
      """
      import zstandard, random, struct
      def transform(data):
          rnd = random.Random(1)
          samples = [b'INFO worker-%d GET /api/v1/users/%d status=200' % (rnd.randint(1, 16), rnd.randint(1, 99999))
                     for _ in range(2000)]
          dictionary = zstandard.train_dictionary(2048, samples)
          return struct.pack('<I', dictionary.dict_id()) + zstandard.ZstdCompressor(dict_data=dictionary).compress(data)
      """, over: [Array("INFO worker-3 GET /api/v1/users/5 status=200".utf8)])
    let output = try #require(outputs.first?.bytes)
    let id = UInt32(output[0]) | UInt32(output[1]) << 8 | UInt32(output[2]) << 16 | UInt32(output[3]) << 24
    #expect(throws: CompressionError.unsupported(.zstd, .dictionary(id: id))) {
      try CompressionCodec.zstd.decompress(Array(output.dropFirst(4)), limit: 1000)
    }
  }
}
