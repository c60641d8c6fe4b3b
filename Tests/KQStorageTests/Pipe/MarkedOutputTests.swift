import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// `kq pipe`'s exactly-once output, locally: each output batch names the input range it came
/// from, and `resume` finds what a crash left uncommitted so that processing it again writes
/// exactly the records that are missing.
@Suite("pipe output marks and recovery")
struct MarkedOutputTests {
  /// An input topic "in" (one partition) and an output topic "out" of `partitions` partitions
  /// whose batches hold about ten 100-byte records (max.message.bytes 1200).
  final class Setup {
    let fixture: PartitionFixture
    let output: TopicName
    let outputConfig: TopicConfig
    let group: GroupName
    let input: InputPartition

    init(partitions: Int = 2, segmentBytes: Int64 = 128 << 20, maxMessageBytes: Int64 = 1200) throws {
      fixture = try PartitionFixture(topic: "in")
      output = try TopicName("out")
      var config = TopicConfig()
      config.partitions = partitions
      config.maxMessageBytes = maxMessageBytes
      config.segmentBytes = segmentBytes
      outputConfig = config
      try fixture.data.createTopic(output, config: config)
      group = try GroupName("g")
      input = InputPartition(topic: fixture.topic, partition: 0)
      _ = try fixture.data.lease(group: group, topic: fixture.topic, partition: 0)  // makes the group's folders
    }

    /// A fresh output, as a new process opens it.
    func open() -> MarkedOutput {
      MarkedOutput(directory: fixture.data, group: group, topic: output, config: outputConfig)
    }

    /// The output records of input offset `offset`: two for even offsets, one for odd ones;
    /// record `n` goes to partition `n % partitions`.
    func outputs(of offset: Int64) -> [(partition: Int, value: String)] {
      let values = offset % 2 == 0 ? ["o\(offset)a-", "o\(offset)b-"] : ["o\(offset)a-"]
      return values.map { value in (Int(offset) % outputConfig.partitions, value + String(repeating: "x", count: 90)) }
    }

    /// Begins `range`, adds the output of each of its offsets, ends it.
    func process(_ range: Range<Int64>, into output: MarkedOutput) throws {
      output.begin(input, range: range)
      let noHeaders: [UInt8] = [0]
      for offset in range {
        for (partition, value) in outputs(of: offset) {
          Array(value.utf8).withUnsafeBytes { value in
            noHeaders.withUnsafeBytes { headers in
              output.add(key: nil, value: value, headers: headers, timestamp: 1_700_000_000_000, partition: partition)
            }
          }
        }
      }
      try output.end()
    }

    /// Every value stored in output partition `partition`, in offset order.
    func stored(_ partition: Int) throws -> [String] {
      let reader = PartitionReader(folder: fixture.data.partitionFolder(output, partition), fileSystem: FileSystem())
      try reader.seek(to: 0)
      var values: [String] = []
      while let batch = try reader.nextBatch() {
        values += try batch.records().map { String(decoding: $0.record.value ?? [], as: UTF8.self) }
      }
      return values
    }

    /// What each output partition must hold once `offsets` were processed, once each.
    func expected(_ offsets: Range<Int64>) -> [[String]] {
      var partitions = Array(repeating: [String](), count: outputConfig.partitions)
      for offset in offsets { for (partition, value) in outputs(of: offset) { partitions[partition].append(value) } }
      return partitions
    }

    func committed() throws -> Int64? { try fixture.data.committedOffsets(group: group, topic: fixture.topic)[0] }

    func logPath(_ partition: Int) -> String { FileNames.logFile(in: fixture.data.partitionFolder(output, partition), base: 0) }
  }

  @Test("a group without a commit starts where it is told, committed at once; committed ranges are never replayed")
  func committedRangesStay() throws {
    let setup = try Setup()
    let first = setup.open()
    #expect(try first.resume([setup.input], start: { _ in 0 }) == [setup.input: InputResume(offset: 0, replays: [])])
    #expect(try setup.committed() == 0)
    try setup.process(0..<10, into: first)
    try first.commit()
    #expect(try setup.committed() == 10)
    first.close()
    let second = setup.open()
    #expect(try second.resume([setup.input], start: { _ in 0 }) == [setup.input: InputResume(offset: 10, replays: [])])
    #expect(try [setup.stored(0), setup.stored(1)] == setup.expected(0..<10))
  }

  @Test("the first record of every batch carries the mark of its range and its place in the range's output")
  func marksOnEveryBatch() throws {
    let setup = try Setup(partitions: 1)
    let output = setup.open()
    _ = try output.resume([setup.input], start: { _ in 0 })
    try setup.process(0..<20, into: output)
    try output.commit()
    let reader = PartitionReader(folder: setup.fixture.data.partitionFolder(setup.output, 0), fileSystem: FileSystem())
    try reader.seek(to: 0)
    var marks: [String] = []
    var unmarkedFollowers = true
    var batches = 0
    while let batch = try reader.nextBatch() {
      batches += 1
      let records = try batch.records()
      marks += records.prefix(1).flatMap { $0.record.headers.filter { $0.key == PipeMark.headerName } }
        .map { String(decoding: $0.value ?? [], as: UTF8.self) }
      if records.dropFirst().contains(where: { !$0.record.headers.isEmpty }) { unmarkedFollowers = false }
    }
    #expect(batches > 2, "the test needs several batches per range")
    #expect(marks.count == batches)
    #expect(unmarkedFollowers)
    #expect(marks.first == "g in 0 0 20 0")
    #expect(marks.allSatisfy { $0.hasPrefix("g in 0 0 20 ") })
  }

  @Test("ranges written and not committed are replayed, and only their missing records are written, after a cut anywhere in the output", arguments: 0..<12)
  func replayWritesOnlyMissingRecords(cutAt cut: Int) throws {
    let setup = try Setup()
    let crashed = setup.open()
    _ = try crashed.resume([setup.input], start: { _ in 0 })
    try setup.process(0..<10, into: crashed)
    try crashed.commit()
    try setup.process(10..<20, into: crashed)
    try setup.process(20..<26, into: crashed)
    crashed.close()  // killed: two ranges written, not committed
    #expect(try setup.committed() == 10)
    // A kill inside the last append leaves a prefix of a partition's batches: cut partition
    // 1 at a batch boundary, or inside a batch (a torn write), after the committed range.
    let path = setup.logPath(1)
    let batches = try Batches.scan(path)
    let committedBatches = batches.filter { $0.header.baseOffset < Int64(setup.expected(0..<10)[1].count) }.count
    let candidates = Array(batches.dropFirst(committedBatches))
    let batch = candidates[cut % candidates.count]
    try ByteSurgery.truncate(path, to: batch.position + (cut >= candidates.count ? batch.header.size / 2 : 0))

    let resumed = setup.open()
    let resume = try resumed.resume([setup.input], start: { _ in 0 })
    let replays = resume[setup.input]?.replays ?? []
    #expect(resume[setup.input]?.offset == 26 && replays == [10..<20, 20..<26], "\(resume)")
    for range in replays { try setup.process(range, into: resumed) }
    try resumed.commit()
    #expect(try setup.committed() == 26)
    #expect(try [setup.stored(0), setup.stored(1)] == setup.expected(0..<26))
  }

  @Test("a range without output is committed before a later range of its partition writes, so a replay starts where a mark does")
  func emptyRangeCommittedFirst() throws {
    let setup = try Setup()
    let output = setup.open()
    _ = try output.resume([setup.input], start: { _ in 0 })
    output.begin(setup.input, range: 0..<5)
    try output.end()
    #expect(try setup.committed() == 0)
    try setup.process(5..<9, into: output)
    #expect(try setup.committed() == 5)
    output.close()
    let resumed = setup.open()
    #expect(try resumed.resume([setup.input], start: { _ in 0 }) == [setup.input: InputResume(offset: 9, replays: [5..<9])])
  }

  @Test("a range that fails is aborted: nothing of it is stored or committed")
  func abortedRange() throws {
    let setup = try Setup()
    let output = setup.open()
    _ = try output.resume([setup.input], start: { _ in 0 })
    output.begin(setup.input, range: 0..<4)
    let value = Array("never".utf8)
    value.withUnsafeBytes { v in [UInt8(0)].withUnsafeBytes { output.add(key: nil, value: v, headers: $0, timestamp: 0, partition: 0) } }
    output.abort()
    try output.commit()
    #expect(try setup.stored(0).isEmpty && setup.committed() == 0)
    #expect(!output.hasUncommittedRanges)
  }

  @Test("resume reads the output from the checkpoint on: damage before it is not read")
  func resumeStartsAtCheckpoint() throws {
    let setup = try Setup(partitions: 1, segmentBytes: 4096)
    let output = setup.open()
    _ = try output.resume([setup.input], start: { _ in 0 })
    try setup.process(0..<40, into: output)
    try output.commit()
    output.close()
    let checkpoint = setup.fixture.data.pipeCheckpoint(group: setup.group, input: setup.input)
    #expect(checkpoint == PipeCheckpoint(output: setup.output, offsets: [0: Int64(setup.expected(0..<40)[0].count)]))
    #expect(try SegmentFiles.bases(in: setup.fixture.data.partitionFolder(setup.output, 0), fileSystem: FileSystem()).count > 1)
    try ByteSurgery.flipByte(setup.logPath(0), at: 100)  // inside the first batch, in the first of several segments
    #expect(try setup.open().resume([setup.input], start: { _ in 0 }) == [setup.input: InputResume(offset: 40, replays: [])])
    // Without the checkpoint the output is read from its start, and the damage is found.
    try FileManager.default.removeItem(atPath: setup.fixture.data.names.groupPipeCheckpoint(setup.group, setup.input.topic, 0))
    #expect(throws: StorageError.self) { try setup.open().resume([setup.input], start: { _ in 0 }) }
  }

  @Test("a mark's value round-trips, and values that are not marks are none")
  func markParsing() {
    let mark = PipeMark(group: "g.1", input: "logs", partition: 3, range: 100..<250, index: 7)
    #expect(mark.encodedValue == Array("g.1 logs 3 100 250 7".utf8))
    #expect(mark.encodedValue.withUnsafeBytes { PipeMark(parsing: $0) } == mark)
    for text in ["", "g logs 3 100 250", "g logs 3 250 100 0", "g logs -3 0 1 0", "g lo/gs 3 0 1 0", "g logs 3 0 1 0 9", "g  logs 3 0 1 0"] {
      #expect(Array(text.utf8).withUnsafeBytes { PipeMark(parsing: $0) } == nil, "\(text)")
    }
  }
}
