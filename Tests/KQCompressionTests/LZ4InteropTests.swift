import KQTestSupport
import Testing

@testable import KQCompression

/// kq's LZ4 frames against the LZ4 C library (PyPI `lz4`) and kafka-python's codec.
@Suite("LZ4 frames against the lz4 library")
struct LZ4InteropTests {
  static let corpus = CodecCorpus.sizeClasses(seed: 11)

  /// Frame settings writers use: the library's default (linked blocks, content size), Kafka's
  /// (independent blocks, nothing else), every checksum, large blocks at high levels, and
  /// several frames with a skippable one between.
  static let writers: [(name: String, source: String)] = [
    ("lz4 default", "import lz4.frame\ndef transform(data): return lz4.frame.compress(data)"),
    (
      "independent blocks, no content size",
      "import lz4.frame\ndef transform(data): return lz4.frame.compress(data, block_linked=False, store_size=False)"
    ),
    (
      "block and content checksums",
      "import lz4.frame\ndef transform(data): return lz4.frame.compress(data, content_checksum=True, block_checksum=True)"
    ),
    (
      "4 MiB blocks, high compression",
      """
      import lz4.frame
      def transform(data):
          return lz4.frame.compress(data, block_size=lz4.frame.BLOCKSIZE_MAX4MB, compression_level=lz4.frame.COMPRESSIONLEVEL_MINHC)
      """
    ),
    (
      "256 KiB linked blocks, maximum compression",
      """
      import lz4.frame
      def transform(data):
          return lz4.frame.compress(data, block_size=lz4.frame.BLOCKSIZE_MAX256KB, compression_level=lz4.frame.COMPRESSIONLEVEL_MAX)
      """
    ),
    (
      "two frames around a skippable frame",
      """
      import lz4.frame, struct
      def transform(data):
          half = len(data) // 2
          skippable = struct.pack('<II', 0x184D2A5A, 5) + b'skip!'
          return lz4.frame.compress(data[:half]) + skippable + lz4.frame.compress(data[half:], content_checksum=True)
      """
    ),
  ]

  @Test(
    "kq decodes what the lz4 library writes, whatever the frame settings",
    .enabled(if: TestPeer.pythonLZ4.shouldRun), arguments: writers.indices)
  func decodesLibraryFrames(writer: Int) throws {
    try TestPeer.pythonLZ4.require()
    let frames = try PythonTransform.run(Self.writers[writer].source, over: Self.corpus.map(\.bytes))
    for ((name, input), frame) in zip(Self.corpus, frames) {
      let bytes = try #require(frame.bytes, "\(Self.writers[writer].name), \(name): \(frame)")
      #expect(try CompressionCodec.lz4.decompress(bytes, limit: input.count) == input, "\(Self.writers[writer].name), \(name)")
    }
  }

  @Test(
    "the lz4 library and kafka-python's codec decode what kq writes",
    .enabled(if: TestPeer.pythonLZ4.shouldRun))
  func libraryDecodesKQFrames() throws {
    try TestPeer.pythonLZ4.require()
    let frames = try Self.corpus.map { try CompressionCodec.lz4.compress($0.bytes) }
    let decoded = try PythonTransform.run(
      "import lz4.frame\ndef transform(data): return lz4.frame.decompress(data)", over: frames)
    for ((name, input), output) in zip(Self.corpus, decoded) {
      #expect(output == .bytes(input), "\(name)")
    }
    if TestPeer.kafkaPython.isInstalled {
      let viaKafka = try PythonTransform.run(
        "from kafka.codec import lz4_decode\ndef transform(data): return lz4_decode(data)", over: frames)
      #expect(viaKafka == Self.corpus.map { .bytes($0.bytes) })
    }
  }

  @Test(
    "kq's frames of log lines are within 10% of the lz4 library's at its default level",
    .enabled(if: TestPeer.pythonLZ4.shouldRun))
  func ratioMatchesLibrary() throws {
    try TestPeer.pythonLZ4.require()
    var random = SeededGenerator(seed: 12)
    let logs = CodecCorpus.logLines(count: 1 << 20, using: &random)
    let library = try PythonTransform.run(
      "import lz4.frame\ndef transform(data): return lz4.frame.compress(data, block_linked=False)", over: [logs])
    let reference = try #require(library.first?.bytes).count
    let ours = try CompressionCodec.lz4.compress(logs).count
    #expect(Double(ours) <= Double(reference) * 1.10, "kq \(ours) bytes, lz4 \(reference) bytes")
  }
}
