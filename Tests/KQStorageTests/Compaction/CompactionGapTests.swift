import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Gaps are legal exactly where compaction can have made them: in and between segments below
/// the cleaner checkpoint. Anywhere else (a topic never compacted, the segments past the
/// checkpoint, or a partition whose checkpoint is gone) they are damage, for readers and verify.
@Suite("Compaction gaps and damage")
struct CompactionGapTests {
  /// A compacted partition: sealed segments cleaned (with gaps), then 3 dirty sealed segments
  /// and the active one.
  static func compactedFixture() throws -> (PartitionFixture, kept: [StoredRecord]) {
    var config = TopicConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = 1024
    config.minCleanableDirtyRatio = 1
    let fixture = try PartitionFixture(topic: "users", config: config)
    var plain = config
    plain.cleanupPolicy = .delete
    let log = try fixture.writer(config: plain)
    func append(_ range: Range<Int>) throws {
      for index in range {
        try Batches.append([[Record(
          key: Array("k\(index % 3)".utf8), value: Array("v\(index)".utf8) + [UInt8](repeating: 7, count: 200),
          timestamp: 1_700_000_000_000 + Int64(index))]], to: log)
      }
    }
    try append(0..<30)
    #expect(try fixture.writer().compact().didClean)
    try append(30..<45)
    return (fixture, try fixture.readAll())
  }

  @Test("without the cleaner checkpoint, the gaps compaction left are damage to readers and verify")
  func checkpointIsWhatMakesGapsLegal() throws {
    let (fixture, kept) = try Self.compactedFixture()
    #expect(kept.count < 45)
    let report = try fixture.data.verify(topics: nil, repair: false) { _ in }
    #expect(report.problems.isEmpty, "\(report.problems)")
    try FileManager.default.removeItem(atPath: FileNames.cleanerCheckpoint(in: fixture.folder()))
    #expect(throws: StorageError.self) { try fixture.readAll() }
    #expect(try !fixture.data.verify(topics: nil, repair: false) { _ in }.problems.isEmpty)
  }

  @Test("a segment lost past the cleaner checkpoint is an offset gap, as in any topic")
  func gapPastCheckpointIsDamage() throws {
    let (fixture, _) = try Self.compactedFixture()
    let cleanedEnd = CleanerCheckpoint.cleanedEnd(folder: fixture.folder(), fileSystem: FileSystem())
    let dirty = try fixture.segmentBases().filter { $0 >= cleanedEnd }
    try #require(dirty.count >= 3)
    try FileManager.default.removeItem(atPath: fixture.logPath(base: dirty[1]))
    #expect(throws: StorageError.offsetGap(file: fixture.logPath(base: dirty[2]), expected: dirty[1], found: dirty[2])) {
      try fixture.readAll(from: dirty[0])
    }
    let problems = try fixture.data.verify(topics: nil, repair: false) { _ in }.problems
    #expect(problems.contains { if case .offsetGap = $0.kind { true } else { false } }, "\(problems)")
  }

  @Test("a batch claiming more offsets than records is damage in a topic never compacted")
  func sparseBatchIsDamageElsewhere() throws {
    let fixture = try PartitionFixture(topic: "logs")
    let log = try fixture.writer()
    try Batches.append([[Record(value: Array("a".utf8), timestamp: 1), Record(value: Array("b".utf8), timestamp: 2)]], to: log)
    // lastOffsetDelta 1 → 2 with recordCount 2: the CRC covers it, so re-checksum the batch.
    var bytes = try ByteSurgery.read(fixture.logPath(base: 0))
    bytes.replaceSubrange(BatchLayout.lastOffsetDelta..<BatchLayout.lastOffsetDelta + 4, with: ByteSurgery.bigEndian(Int32(2)))
    let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[BatchLayout.attributes...])) }
    bytes.replaceSubrange(BatchLayout.crc..<BatchLayout.crc + 4, with: ByteSurgery.bigEndian(crc))
    try ByteSurgery.write(bytes, to: fixture.logPath(base: 0))
    #expect(
      throws: StorageError.damagedLog(
        file: fixture.logPath(base: 0), position: 0, reason: .inconsistentCount(lastOffsetDelta: 2, recordCount: 2),
        firstOffset: 0, endOffset: nil)
    ) { try Batches.append([[Record(value: Array("c".utf8), timestamp: 3)]], to: fixture.writer()) }
    #expect(throws: StorageError.self) { try fixture.readAll() }
  }

  @Test("a cleaned segment that verify --repair moved aside is listed in kq.unreadable and reported by readers, not passed over as compaction's gap")
  func repairedCleanedSegmentIsReported() throws {
    var config = TopicConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = 1024
    let fixture = try PartitionFixture(topic: "users", config: config)
    var plain = config
    plain.cleanupPolicy = .delete
    let log = try fixture.writer(config: plain)
    for index in 0..<40 {  // keys k0…k19 twice: compaction keeps offsets 20…39, minus the active segment's
      try Batches.append([[Record(
        key: Array("k\(index % 20)".utf8), value: [UInt8](repeating: 7, count: 200),
        timestamp: 1_700_000_000_000 + Int64(index))]], to: log)
    }
    #expect(try fixture.writer().compact().didClean)
    let folder = fixture.folder()
    let cleanedEnd = CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: FileSystem())
    let bases = try fixture.segmentBases()
    let cleaned = bases.filter { $0 < cleanedEnd }
    try #require(cleaned.count >= 3, "\(bases), cleaned end \(cleanedEnd)")
    let damaged = cleaned[1]
    let after = cleaned[2]
    try ByteSurgery.flipByte(fixture.logPath(base: damaged), at: BatchLayout.headerSize + 10)

    _ = try fixture.data.verify(topics: nil, repair: true) { _ in }
    #expect(UnreadableOffsets.read(folder: folder, fileSystem: FileSystem()) == [damaged..<after])
    #expect(try fixture.data.verify(topics: nil, repair: false) { _ in }.problems.isEmpty)
    let reader = PartitionReader(folder: folder, fileSystem: FileSystem())
    try reader.seek(to: 0)
    var offsets: [Int64] = []
    while let batch = try reader.nextBatch() { offsets += try batch.records().map(\.offset) }
    #expect(!offsets.contains { (damaged..<after).contains($0) } && offsets.contains { $0 >= after })
    let lost = reader.takeOffsetsLostToRetention()
    #expect(lost == [damaged...(after - 1)])
    #expect(reader.wasMovedAside(damaged...(after - 1)))
    // A second repair keeps the listing: the check counts it as a gap.
    _ = try fixture.data.verify(topics: nil, repair: true) { _ in }
    #expect(UnreadableOffsets.read(folder: folder, fileSystem: FileSystem()) == [damaged..<after])
  }
}
