import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

@Suite("retention")
struct RetentionTests {
  static let start: Int64 = 1_700_000_000_000
  /// Null key, 800-byte value, no headers: a 870-byte batch, so 1024-byte segments hold one.
  static func record(_ timestamp: Int64) -> Record {
    Record(key: nil, value: [UInt8](repeating: 9, count: 800), timestamp: timestamp)
  }

  /// Five segments of one 870-byte record each, offsets 0–4; segment i's record is
  /// `start + i × 10 s`. Written with retention off, so nothing is removed while writing.
  static func fiveSegments() throws -> PartitionFixture {
    var config = TopicConfig()
    config.segmentBytes = 1024
    config.retentionMillis = -1
    let fixture = try PartitionFixture(config: config)
    let log = try fixture.writer()
    for i: Int64 in 0..<5 { try Batches.append([[record(start + i * 10_000)]], to: log) }
    try #require(try fixture.segmentBases() == [0, 1, 2, 3, 4])
    try #require(try ByteSurgery.size(fixture.logPath(base: 0)) == 870)
    return fixture
  }

  static func retentionConfig(millis: Int64 = -1, bytes: Int64 = -1) -> TopicConfig {
    var config = TopicConfig()
    config.segmentBytes = 1024
    config.retentionMillis = millis
    config.retentionBytes = bytes
    return config
  }

  @Test("retention.ms removes sealed segments whose newest record is older than it, oldest first")
  func retentionByTime() throws {
    let fixture = try Self.fiveSegments()
    let log = try fixture.writer(config: Self.retentionConfig(millis: 60_000))
    #expect(try log.enforceRetention() == [])  // opened now: nothing is old yet
    // Segment 1's record is exactly 60 s old: kept (older *than* retention.ms goes).
    fixture.clock.set(Self.start + 70_000)
    #expect(try log.enforceRetention() == [0])
    fixture.clock.set(Self.start + 70_001)
    #expect(try log.enforceRetention() == [1])
    #expect(try fixture.segmentBases() == [2, 3, 4])
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    #expect(try reader.bounds() == (2, 5))
    #expect(try fixture.readAll().map(\.offset) == [2, 3, 4])
  }

  @Test("retention never removes the active segment, even when all its records are expired")
  func activeSegmentSurvives() throws {
    let fixture = try Self.fiveSegments()
    let log = try fixture.writer(config: Self.retentionConfig(millis: 1000))
    #expect(try log.enforceRetention() == [])
    fixture.clock.set(Self.start + 1_000_000)
    #expect(try log.enforceRetention() == [0, 1, 2, 3])
    #expect(try fixture.segmentBases() == [4])
    #expect(try fixture.readAll().map(\.offset) == [4])
    #expect(try Batches.append([[Self.record(Self.start)]], to: log) == .init(firstOffset: 5, recordCount: 1))
  }

  @Test("retention.bytes removes the oldest segments while the partition minus the limit is at least that segment")
  func retentionBySize() throws {
    let fixture = try Self.fiveSegments()
    // 4350 bytes: 4350 − 2000 ≥ 870, remove 0; 3480 − 2000 ≥ 870, remove 1; 2610 − 2000 < 870.
    let log = try fixture.writer(config: Self.retentionConfig(bytes: 2000))
    #expect(try log.enforceRetention() == [0, 1])
    #expect(try log.enforceRetention() == [])
    #expect(try fixture.segmentBases() == [2, 3, 4])
    let summary = try LocalLogService(directory: fixture.data).summary(of: fixture.topic, partition: 0)
    #expect(summary.logStartOffset == 2)
    #expect(summary.endOffset == 5)
    #expect(summary.bytes == 3 * 870)
  }

  @Test("a writer opening the partition runs retention when it last ran a minute or more ago")
  func retentionAtOpen() throws {
    let fixture = try Self.fiveSegments()
    fixture.clock.set(Self.start + 60_000)
    let log = try fixture.writer(config: Self.retentionConfig(millis: 45_000))
    #expect(try log.enforceRetention() == [])  // the open already removed 0 and 1
    #expect(try fixture.segmentBases() == [2, 3, 4])
  }

  @Test("retention also runs when a segment rolls")
  func retentionAtRoll() throws {
    let fixture = try PartitionFixture(config: Self.retentionConfig(bytes: 2000))
    let log = try fixture.writer()
    for i: Int64 in 0..<5 { try Batches.append([[Self.record(Self.start + i)]], to: log) }
    // At the roll to segment 4 the sealed segments hold 3480 bytes: segment 0 goes.
    #expect(try fixture.segmentBases() == [1, 2, 3, 4])
  }

  @Test("a reader behind retention continues at the new log start and counts the records it lost")
  func readerSkipsRemovedRecords() throws {
    let fixture = try Self.fiveSegments()
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    try reader.seek(to: 0)
    #expect(try reader.nextBatch()?.records().map(\.offset) == [0])
    let log = try fixture.writer(config: Self.retentionConfig(bytes: 2000))
    #expect(try log.enforceRetention() == [0, 1])
    #expect(try reader.nextBatch()?.records().map(\.offset) == [2])
    #expect(reader.offsetsLostToRetention == 1)
    #expect(reader.takeOffsetsLostToRetention() == [1...1])
    #expect(reader.takeOffsetsLostToRetention() == [])
    try reader.seek(to: 0)
    #expect(reader.position == 2)
  }

  @Test("segments of records without a timestamp (-1) are aged by their file's time, as Kafka does, not removed at once")
  func noTimestampUsesFileTime() throws {
    let fixture = try PartitionFixture(config: Self.retentionConfig(millis: 3_600_000))
    let log = try fixture.writer()
    for _ in 0..<3 { try Batches.append([[Self.record(RecordTimestamp.none)]], to: log) }  // each roll runs retention
    #expect(try fixture.segmentBases() == [0, 1, 2])
    let fileTime = Int64(Date().timeIntervalSince1970 * 1000)
    fixture.clock.set(fileTime + 1_800_000)
    #expect(try log.enforceRetention() == [])
    fixture.clock.set(fileTime + 7_200_000)
    #expect(try log.enforceRetention() == [0, 1])
  }

  @Test("timestamps at the ends of Int64 in segments and in kq.lock neither trap retention nor roll nor the next open")
  func extremeTimestampsDoNotTrap() throws {
    var config = Self.retentionConfig(millis: 1000)
    config.segmentMillis = 1000
    let fixture = try PartitionFixture(config: config)
    fixture.clock.set(Int64(Date().timeIntervalSince1970 * 1000) + 60_000)
    let log = try fixture.writer()
    for timestamp in [Int64.min + 1, Int64.max, 0, Int64.min, Int64.max] {
      try Batches.append([[Self.record(timestamp)]], to: log)
    }
    // Segment 0's negative time counts as its file's (a minute old: it goes); segment 1's
    // Int64.max is never old, and retention stops at the first segment it keeps.
    #expect(try fixture.segmentBases() == [1, 2, 3, 4])
    try ByteSurgery.write(
      Array("kq-lock 1 \(BootIdentity.current(fileSystem: FileSystem())) \(Int64.min) 0\n".utf8),
      to: FileNames.lockFile(in: fixture.folder()))
    let next = try fixture.writer()
    #expect(try Batches.append([[Self.record(Self.start)]], to: next) == .init(firstOffset: 5, recordCount: 1))
  }
}
