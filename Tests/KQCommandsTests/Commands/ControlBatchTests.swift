import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Control batches (attributes bit 5: transaction markers a Kafka broker writes) hold no
/// records for consumers: consume and pipe pass over them, never print or count them, and a
/// group commits past them.
@Suite("control batches")
struct ControlBatchTests {
  let directory: TemporaryDirectory
  init() throws { directory = try TemporaryDirectory("kq-control") }

  func kq(_ arguments: String..., stdin: String = "") -> (status: Int32, output: String, errors: String) {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": directory.at("data"), "PATH": "/usr/bin:/bin"], stdin: MemorySource(Array(stdin.utf8), chunk: 64),
      stdout: stdout, stderr: stderr, clock: ManualClock(1_700_000_000_000))
    let status = KQ.run(arguments: ["kq"] + arguments, context: context)
    return (status.rawValue, stdout.text, stderr.text)
  }

  /// An abort marker as a broker writes it: one control record (key: version 0, type 0),
  /// attributes transactional and control, CRC recomputed.
  static func abortMarker() -> [UInt8] {
    let encoder = BatchEncoder(maxBatchBytes: 1 << 20)
    let key: [UInt8] = [0, 0, 0, 0]
    let value: [UInt8] = [0, 0, 0, 0, 0, 0]
    _ = key.withUnsafeBytes { k in
      value.withUnsafeBytes { v in [UInt8(0)].withUnsafeBytes { encoder.append(key: k, value: v, headers: $0, timestamp: 1_700_000_000_000) } }
    }
    var bytes = Array(encoder.finish())
    bytes.withUnsafeMutableBytes { raw in
      guard let base = raw.baseAddress else { return }
      base.storeBigEndian(BatchLayout.transactionalFlag | BatchLayout.controlFlag, at: BatchLayout.attributes)
      let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base + BatchLayout.attributes, count: raw.count - BatchLayout.attributes))
      base.storeBigEndian(crc, at: BatchLayout.crc)
    }
    return bytes
  }

  /// Topic "t": a (0), b (1), an abort marker (2), c (3).
  func topicWithMarker() throws {
    #expect(kq("produce", "t", "--create", stdin: "a\nb\n").status == 0)
    let data = try DataDirectory.open(at: directory.at("data"), create: false)
    let topic = try TopicName("t")
    let log = try PartitionLog(folder: data.partitionFolder(topic, 0), config: try data.config(of: topic), fileSystem: FileSystem(), clock: ManualClock())
    var marker = Self.abortMarker()
    try marker.withUnsafeMutableBytes { _ = try log.append($0) }
    log.close()
    #expect(kq("produce", "t", stdin: "c\n").status == 0)
  }

  @Test("consume prints no control record and does not count one against -n; offsets keep their numbers")
  func consumeSkips() throws {
    try topicWithMarker()
    #expect(kq("consume", "t").output == "a\nb\nc\n")
    #expect(kq("consume", "t", "-n", "3").output == "a\nb\nc\n")
    #expect(kq("consume", "t", "--format", "%o %s\\n").output == "0 a\n1 b\n3 c\n")
    #expect(kq("consume", "t", "--from", "2").output == "c\n")
  }

  @Test("a group commits past a control batch, and kq pipe neither passes it to its command nor stops at it")
  func groupsAndPipeSkip() throws {
    try topicWithMarker()
    #expect(kq("consume", "t", "--group", "g").output == "a\nb\nc\n")
    #expect(try DataDirectory.open(at: directory.at("data"), create: false).committedOffsets(group: GroupName("g"), topic: TopicName("t")) == [0: 4])
    #expect(kq("topic", "create", "out").status == 0)
    let piped = kq("pipe", "t", "out", "--group", "p", "--", "cat")
    #expect(piped.status == 0, "\(piped.errors)")
    #expect(kq("consume", "out").output == "a\nb\nc\n")
  }

  @Test("kq pipe commits past a control batch at the end of its input")
  func pipeCommitsPastTrailingMarker() throws {
    #expect(kq("produce", "t", "--create", stdin: "a\nb\n").status == 0)
    let data = try DataDirectory.open(at: directory.at("data"), create: false)
    let topic = try TopicName("t")
    let log = try PartitionLog(folder: data.partitionFolder(topic, 0), config: try data.config(of: topic), fileSystem: FileSystem(), clock: ManualClock())
    var marker = Self.abortMarker()
    try marker.withUnsafeMutableBytes { _ = try log.append($0) }
    log.close()
    #expect(kq("topic", "create", "out").status == 0)
    #expect(kq("pipe", "t", "out", "--group", "p", "--", "cat").status == 0)
    #expect(kq("consume", "out").output == "a\nb\n")
    #expect(try data.committedOffsets(group: GroupName("p"), topic: topic) == [0: 3])
  }
}
