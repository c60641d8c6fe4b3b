import KQTestSupport
import Testing

@testable import KQCompression

/// kq's snappy against Google's snappy (python-snappy over cramjam) and kafka-python's xerial
/// framing.
@Suite("snappy against the snappy library")
struct SnappyInteropTests {
  static let corpus = CodecCorpus.sizeClasses(seed: 21)

  static let writers: [(name: String, source: String)] = [
    ("raw snappy", "import snappy\ndef transform(data): return snappy.compress(data)"),
    ("kafka-python's xerial framing", "from kafka.codec import snappy_encode\ndef transform(data): return snappy_encode(data)"),
    (
      "xerial framing with 1 KiB chunks",
      "from kafka.codec import snappy_encode\ndef transform(data): return snappy_encode(data, xerial_blocksize=1024)"
    ),
  ]

  @Test(
    "kq decodes raw and xerial-framed snappy the library writes",
    .enabled(if: TestPeer.pythonSnappy.shouldRun && TestPeer.kafkaPython.shouldRun), arguments: writers.indices)
  func decodesLibraryStreams(writer: Int) throws {
    try TestPeer.pythonSnappy.require()
    try TestPeer.kafkaPython.require()
    let streams = try PythonTransform.run(Self.writers[writer].source, over: Self.corpus.map(\.bytes))
    for ((name, input), stream) in zip(Self.corpus, streams) {
      let bytes = try #require(stream.bytes, "\(Self.writers[writer].name), \(name): \(stream)")
      #expect(try CompressionCodec.snappy.decompress(bytes, limit: input.count) == input, "\(Self.writers[writer].name), \(name)")
    }
  }

  @Test(
    "the library reads kq's raw streams and kafka-python's codec kq's xerial streams",
    .enabled(if: TestPeer.pythonSnappy.shouldRun && TestPeer.kafkaPython.shouldRun))
  func libraryDecodesKQStreams() throws {
    try TestPeer.pythonSnappy.require()
    try TestPeer.kafkaPython.require()
    let expected = Self.corpus.map { PythonTransform.Outcome.bytes($0.bytes) }
    let raw = try PythonTransform.run(
      "import snappy\ndef transform(data): return snappy.decompress(data)", over: Self.corpus.map { SnappyTests.raw($0.bytes) })
    #expect(raw == expected)
    // kafka-python detects xerial only past 16 bytes: the empty stream is left out.
    let nonEmpty = Self.corpus.filter { !$0.bytes.isEmpty }
    let xerial = try PythonTransform.run(
      "from kafka.codec import snappy_decode\ndef transform(data): return snappy_decode(data)",
      over: nonEmpty.map { try CompressionCodec.snappy.compress($0.bytes) })
    #expect(xerial == nonEmpty.map { .bytes($0.bytes) })
  }

  @Test(
    "kq's snappy of log lines is within 10% of the library's",
    .enabled(if: TestPeer.pythonSnappy.shouldRun))
  func ratioMatchesLibrary() throws {
    try TestPeer.pythonSnappy.require()
    var random = SeededGenerator(seed: 22)
    let logs = CodecCorpus.logLines(count: 1 << 20, using: &random)
    let library = try PythonTransform.run("import snappy\ndef transform(data): return snappy.compress(data)", over: [logs])
    let reference = try #require(library.first?.bytes).count
    let ours = SnappyTests.raw(logs).count
    #expect(Double(ours) <= Double(reference) * 1.10, "kq \(ours) bytes, snappy \(reference) bytes")
  }
}
