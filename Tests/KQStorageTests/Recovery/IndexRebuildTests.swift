import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Indexes are derived data: a writer opening the partition rebuilds a missing or damaged
/// `.index` or `.timeindex` of the active segment from the log, byte for byte as it was.
@Suite("index rebuild")
struct IndexRebuildTests {
  enum Damage: CaseIterable {
    case indexMissing, timeIndexMissing, bothMissing, indexEmptied
    case indexCutMidEntry, timeIndexCutMidEntry
    /// The last entry's bytes all 0xFF: offset base − 1, position −1 (or timestamp −1).
    case indexLastEntryGarbage, timeIndexLastEntryGarbage
    /// The last `.index` entry names the offset of its batch but the position of another.
    case indexLastEntryWrongPosition
    /// The last `.timeindex` entry names an offset past the log end.
    case timeIndexLastEntryPastEnd
    /// The last `.timeindex` entry's timestamp one higher: still growing, but not what the
    /// batch at its offset carries.
    case timeIndexLastTimestampUntrue
  }

  static let start: Int64 = 1_700_000_000_000

  /// ~24 KiB in one segment: 60 batches of 1–4 records, timestamps wandering.
  static func makeLog() throws -> PartitionFixture {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    var random = SeededGenerator(seed: 3)
    for batch in 0..<60 {
      let run = (0..<Int.random(in: 1...4, using: &random)).map { _ in
        Record(
          key: nil, value: random.bytes(count: 100),
          timestamp: start + Int64(batch * 10) + Int64.random(in: -30...30, using: &random))
      }
      try Batches.append([run], to: log)
    }
    return fixture
  }

  static func apply(_ damage: Damage, to fixture: PartitionFixture) throws {
    let index = fixture.indexPath(base: 0)
    let timeIndex = fixture.timeIndexPath(base: 0)
    let indexSize = try ByteSurgery.size(index)
    let timeIndexSize = try ByteSurgery.size(timeIndex)
    switch damage {
    case .indexMissing: try FileSystem().unlink(index)
    case .timeIndexMissing: try FileSystem().unlink(timeIndex)
    case .bothMissing:
      try FileSystem().unlink(index)
      try FileSystem().unlink(timeIndex)
    case .indexEmptied: try ByteSurgery.truncate(index, to: 0)
    case .indexCutMidEntry: try ByteSurgery.truncate(index, to: indexSize - 3)
    case .timeIndexCutMidEntry: try ByteSurgery.truncate(timeIndex, to: timeIndexSize - 5)
    case .indexLastEntryGarbage:
      try ByteSurgery.overwrite(index, at: indexSize - 8, with: [UInt8](repeating: 0xFF, count: 8))
    case .timeIndexLastEntryGarbage:
      try ByteSurgery.overwrite(timeIndex, at: timeIndexSize - 12, with: [UInt8](repeating: 0xFF, count: 12))
    case .indexLastEntryWrongPosition:
      let entries = try fixture.offsetIndex(base: 0)
      let earlier = UInt32(entries[entries.count - 2].position)
      try ByteSurgery.overwrite(
        index, at: indexSize - 4,
        with: [UInt8(earlier >> 24), UInt8(earlier >> 16 & 0xFF), UInt8(earlier >> 8 & 0xFF), UInt8(earlier & 0xFF)])
    case .timeIndexLastEntryPastEnd: try ByteSurgery.overwrite(timeIndex, at: timeIndexSize - 4, with: [0, 0, 0x7F, 0])
    case .timeIndexLastTimestampUntrue:
      let bytes = try ByteSurgery.read(timeIndex)
      let timestamp = bytes[(timeIndexSize - 12)..<(timeIndexSize - 4)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
      try ByteSurgery.overwrite(timeIndex, at: timeIndexSize - 12, with: ByteSurgery.bigEndian(timestamp + 1))
    }
  }

  @Test(
    "a writer rebuilds a missing or damaged index of the active segment exactly as it was",
    arguments: Damage.allCases)
  func rebuild(damage: Damage) throws {
    let fixture = try Self.makeLog()
    let original = try fixture.segmentFiles()
    try #require(try fixture.offsetIndex(base: 0).count >= 4)
    try Self.apply(damage, to: fixture)
    #expect(
      [fixture.logPath, fixture.indexPath, fixture.timeIndexPath].map { try? ByteSurgery.read($0(0, 0)) } != original)
    let log = try fixture.writer()
    #expect(try log.enforceRetention() == [])  // opens the partition; appends nothing
    #expect(
      log.recoveryReports == [
        RecoveryReport(file: fixture.logPath(base: 0), truncatedAt: nil, bytesRemoved: 0, indexesRebuilt: true)
      ])
    #expect(try fixture.segmentFiles() == original)
  }

  @Test("undamaged indexes are trusted: a new writer reports nothing and changes no byte")
  func intactIndexes() throws {
    let fixture = try Self.makeLog()
    let original = try fixture.segmentFiles()
    let log = try fixture.writer()
    #expect(try log.enforceRetention() == [])
    #expect(log.recoveryReports == [])
    #expect(try fixture.segmentFiles() == original)
  }

  @Test("writers taking turns leave the same bytes as one writer, and indexes the next writer trusts")
  func alternatingWriters() throws {
    var random = SeededGenerator(seed: 5)
    let runs = (0..<80).map { batch in
      (0..<Int.random(in: 1...5, using: &random)).map { _ in
        Record(
          key: nil, value: random.bytes(count: Int.random(in: 0...150, using: &random)),
          timestamp: Self.start + Int64(batch) * 10 - Int64.random(in: 0...50, using: &random))
      }
    }
    let shared = try PartitionFixture()
    let writers = [try shared.writer(), try shared.writer(), try shared.writer()]
    for (turn, run) in runs.enumerated() { try Batches.append([run], to: writers[turn % 3]) }
    let single = try PartitionFixture()
    let writer = try single.writer()
    for run in runs { try Batches.append([run], to: writer) }
    #expect(try shared.segmentFiles() == single.segmentFiles())
    #expect(writers.map(\.recoveryReports) == [[], [], []])
    let next = try shared.writer()
    #expect(try next.enforceRetention() == [])
    #expect(next.recoveryReports == [])
  }

  @Test("a damaged index entry of a sealed segment never changes what reads return")
  func sealedSegmentGarbageEntry() throws {
    let fixture = try Self.makeLog()
    try Batches.append(
      [[Record(value: [1], timestamp: Self.start + 30 * TopicConfig.dayMillis)]], to: try fixture.writer())
    try #require(try fixture.segmentBases() == [0, fixture.readAll().last!.offset])
    let records = try fixture.readAll()
    let entries = try fixture.offsetIndex(base: 0)
    // The middle entry now points one byte past its batch start.
    let middle = entries.count / 2
    let wrong = UInt32(entries[middle].position + 1)
    try ByteSurgery.overwrite(
      fixture.indexPath(base: 0), at: middle * 8 + 4,
      with: [UInt8(wrong >> 24), UInt8(wrong >> 16 & 0xFF), UInt8(wrong >> 8 & 0xFF), UInt8(wrong & 0xFF)])
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    for target in [entries[middle].offset, entries[middle].offset + 1] {
      try reader.seek(to: target)
      #expect(try reader.nextBatch()?.records().first { $0.offset >= target } == records[Int(target)])
    }
  }
}
