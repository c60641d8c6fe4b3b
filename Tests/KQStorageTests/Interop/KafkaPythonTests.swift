import Foundation
import KQCompression
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// kq's files are Kafka's files: kafka-python's RecordBatch parser reads every segment kq
/// wrote, validates every CRC and index entry, and yields exactly the records written.
@Suite("kafka-python interop")
struct KafkaPythonTests {
  struct Output {
    var records: [String: [StoredRecord]] = [:]
    /// "topic-partition" → (batches, .index entries, .timeindex entries) per segment.
    var segments: [String: [(batches: Int, index: Int, timeindex: Int)]] = [:]
    /// "topic-partition" → the codecs (attributes bits 0–2) of its batches, over all segments.
    var codecs: [String: Set<Int>] = [:]
  }

  /// Runs `python3` with `arguments`, stdout and stderr into files (no pipe to fill up).
  static func python(_ arguments: [String], in directory: TemporaryDirectory) throws -> (
    status: Int32, stdout: Data, stderr: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let out = directory.at("python.out")
    let err = directory.at("python.err")
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return (
      process.terminationStatus, try Data(contentsOf: URL(fileURLWithPath: out)),
      String(decoding: try Data(contentsOf: URL(fileURLWithPath: err)), as: UTF8.self)
    )
  }

  static func bytes(_ value: Any?) throws -> [UInt8]? {
    guard let text = value as? String else { return nil }
    return Array(try #require(Data(base64Encoded: text), "bad base64 \(text)"))
  }

  static func parse(_ stdout: Data) throws -> Output {
    var output = Output()
    for line in stdout.split(separator: UInt8(ascii: "\n")) {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
      let place = "\(object["topic"] as? String ?? "?")-\(object["partition"] as? Int ?? -1)"
      if object["kind"] as? String == "segment" {
        let counts = (object["batches"] as? Int ?? -1, object["index"] as? Int ?? -1, object["timeindex"] as? Int ?? -1)
        output.segments[place, default: []].append(counts)
        output.codecs[place, default: []].formUnion(object["codecs"] as? [Int] ?? [])
        continue
      }
      let headers = try (object["headers"] as? [[Any]] ?? []).map { pair in
        Header(key: Array((pair[0] as? String ?? "").utf8), value: try bytes(pair[1]))
      }
      let record = Record(
        key: try bytes(object["key"]), value: try bytes(object["value"]), headers: headers,
        timestamp: (object["timestamp"] as? NSNumber)?.int64Value ?? -1)
      output.records[place, default: []].append(
        StoredRecord(offset: (object["offset"] as? NSNumber)?.int64Value ?? -1, record: record))
    }
    return output
  }

  /// Appends `count` random records to each partition through the log service, in appends of
  /// 1–30 records split into batches as producers split them; returns what each holds.
  static func write(
    _ topic: TopicName, config: TopicConfig, count: Int, service: LocalLogService, random: inout SeededGenerator,
    codec: (_ partition: Int) -> CompressionCodec = { _ in .none }
  ) throws -> [String: [StoredRecord]] {
    try service.createTopic(topic, config: config)
    var written: [String: [StoredRecord]] = [:]
    for partition in 0..<config.partitions {
      let writer = try service.openWriter(topic, partition: partition, config: config)
      var records: [StoredRecord] = []
      while records.count < count {
        let isCompressed = codec(partition) != .none
        var run = (0..<Int.random(in: 1...30, using: &random)).map { index in
          var record = random.record(around: 1_700_000_000_000 + Int64(records.count) * 10, jitter: 2000, longest: 400)
          // Log lines for compressed partitions, so that most batches shrink and are stored so.
          if isCompressed && index % 4 != 0 {
            record.value = Array("GET /item/\(records.count + index) 200 \(index) ms ok ok ok ok".utf8)
          }
          return record
        }
        if Int.random(in: 0..<15, using: &random) == 0 {  // larger than a 4 KiB segment: a batch of its own
          run.append(Record(key: Array("big".utf8), value: random.bytes(count: 5000), timestamp: 1_700_000_000_000))
        }
        let encoder = BatchEncoder(maxBatchBytes: config.maxBatchBytes, capacity: 1024)
        encoder.codec = codec(partition)
        for record in run { encoder.append(record) }
        var bytes = Array(encoder.finish())
        let result = try bytes.withUnsafeMutableBytes { raw in try writer.append(raw) }
        #expect(result == .init(firstOffset: Int64(records.count), recordCount: run.count))
        records += run.enumerated().map { StoredRecord(offset: result.firstOffset + Int64($0), record: $1) }
      }
      try writer.makeDurable()
      writer.close()
      written["\(topic)-\(partition)"] = records
    }
    return written
  }

  @Test(
    "kafka-python parses every segment kq wrote, validates CRCs and indexes, and yields exactly the records written",
    .enabled(if: TestPeer.kafkaPython.shouldRun))
  func kafkaPythonReadsEverySegment() throws {
    try TestPeer.kafkaPython.require()
    let directory = try TemporaryDirectory()
    let service = LocalLogService(directory: try DataDirectory.open(at: directory.at("data"), create: true))
    var random = SeededGenerator(seed: 2024)
    var small = TopicConfig()
    small.partitions = 3
    small.segmentBytes = 4096
    small.retentionMillis = -1  // the records are from 2023: keep them whatever today's date
    // Three partitions of small segments; a topic with '-' and '.' in its name.
    var expected = try Self.write(
      try TopicName("kq-interop.v1"), config: small, count: 250, service: service, random: &random)
    // One partition with 128 MiB segments: large enough for `.index` entries.
    var large = TopicConfig()
    large.retentionMillis = -1
    expected.merge(
      try Self.write(try TopicName("indexed"), config: large, count: 600, service: service, random: &random)
    ) { $1 }
    // One partition per codec, partition p compressed with codec p + 1, in small segments.
    var compressed = small
    compressed.partitions = 4
    expected.merge(
      try Self.write(
        try TopicName("compressed"), config: compressed, count: 400, service: service, random: &random,
        codec: { CompressionCodec(rawValue: $0 + 1) ?? .none })
    ) { $1 }

    let script = directory.at("check_segments.py")
    try SegmentCheckScript.source.write(toFile: script, atomically: true, encoding: .utf8)
    let run = try Self.python([script, directory.at("data")], in: directory)
    #expect(run.status == 0, "kafka-python found problems:\n\(run.stderr)")
    let output = try Self.parse(run.stdout)
    #expect(output.records.keys.sorted() == expected.keys.sorted())
    for (place, records) in expected {
      let read = output.records[place] ?? []
      // Compared whole; on a difference, name the first record that differs (not 100 KB of bytes).
      if read != records {
        let index = Array(zip(read, records)).firstIndex { $0 != $1 } ?? min(read.count, records.count)
        let got = index < read.count ? "\(read[index])".prefix(300) : "nothing"
        let wrote = index < records.count ? "\(records[index])".prefix(300) : "nothing"
        Issue.record(
          "\(place): kafka-python read \(read.count) records, kq wrote \(records.count); #\(index) differs: \(got) vs \(wrote)")
      }
    }
    for partition in 0..<3 {
      let segments = output.segments["kq-interop.v1-\(partition)"] ?? []
      #expect(segments.count >= 5, "kq-interop.v1-\(partition) has \(segments.count) segments")
      #expect(
        segments.dropLast().allSatisfy { $0.timeindex >= 1 }, "every sealed segment has its final time-index entry")
    }
    #expect((output.segments["indexed-0"]?.first?.index ?? 0) >= 10, "\(output.segments["indexed-0"] ?? [])")
    for partition in 0..<4 {
      #expect(output.codecs["compressed-\(partition)"] == [0, partition + 1], "compressed-\(partition)")
    }
  }

  @Test(
    "kq reads the batches kafka-python builds with every codec (DefaultRecordBatchBuilder, compression_type 0-4)",
    .enabled(if: TestPeer.kafkaPython.shouldRun && TestPeer.pythonLZ4.shouldRun && TestPeer.pythonZstandard.shouldRun
      && TestPeer.pythonSnappy.shouldRun))
  func kqReadsKafkaPythonCompressedBatches() throws {
    try TestPeer.kafkaPython.require()
    var config = TopicConfig()
    config.retentionMillis = -1
    let fixture = try PartitionFixture(topic: "from-python", config: config)
    let script = fixture.directory.at("build_batches.py")
    try CompressedBatchScript.source.write(toFile: script, atomically: true, encoding: .utf8)
    let run = try Self.python([script, fixture.logPath(base: 0), "from-python"], in: fixture.directory)
    try #require(run.status == 0, "kafka-python failed:\n\(run.stderr)")
    let expected = try #require(try Self.parse(run.stdout).records["from-python-0"])
    let codecs = try Batches.scan(fixture.logPath(base: 0)).map(\.header.codecBits)
    #expect(codecs == Array(repeating: [0, 1, 2, 3, 4], count: 3).flatMap { $0 })
    #expect(try fixture.readAll() == expected)
    let middle = expected[expected.count / 2]
    #expect(try fixture.readAll(from: middle.offset).first == middle)
    #expect(
      try IndexLookup.offset(forTimestamp: middle.record.timestamp, folder: fixture.folder(), fileSystem: FileSystem())
        == middle.offset)
    // A writer accepts the segment as it is (a whole, checked log) and appends after it.
    let writer = try fixture.writer()
    let record = Record(key: nil, value: Array("after".utf8), timestamp: 1_800_000_000_000)
    try Batches.append([[record]], to: writer, codec: .zstd)
    writer.close()
    #expect(try fixture.readAll(from: Int64(expected.count)) == [StoredRecord(offset: Int64(expected.count), record: record)])
  }
}
