import KQLog
import Foundation
import KQTestSupport
import Testing

@testable import KQStorage

/// A sealed segment's `.timeindex` cut short at an entry boundary looks whole: its last entry
/// holds. Found by the `index` fuzz target (Tests/Fuzz/Corpus/index/timeindex-cut-at-entry):
/// a time lookup passed over the segment, and retention would have deleted it, while it held
/// younger records. The headers after the last entry's batch are read now.
@Suite("a time index cut at an entry boundary")
struct TruncatedTimeIndexTests {
  static let start: Int64 = 1_700_000_000_000

  /// One 870-byte batch per record, a record a second: segment 0 holds offsets 0–17 and its
  /// `.timeindex` 3 entries and the sealing one; then only its first entry is kept.
  static func cutSegment(config: TopicConfig) throws -> PartitionFixture {
    let fixture = try PartitionFixture(config: config)
    let log = try fixture.writer()
    for i: Int64 in 0..<25 {
      try Batches.append([[Record(key: nil, value: [UInt8](repeating: 7, count: 800), timestamp: start + i * 1000)]], to: log)
    }
    try #require(try fixture.segmentBases() == [0, 18])
    let path = fixture.timeIndexPath(base: 0)
    let entries = try ByteSurgery.read(path)
    try #require(entries.count >= 3 * TimeIndex.entrySize)
    try ByteSurgery.write(Array(entries.prefix(TimeIndex.entrySize)), to: path)
    return fixture
  }

  static var config: TopicConfig {
    var config = TopicConfig()
    config.segmentBytes = 16 * 1024
    config.retentionMillis = -1
    return config
  }

  @Test("a time lookup still finds the records after the entry")
  func timeLookup() throws {
    let fixture = try Self.cutSegment(config: Self.config)
    let found = try IndexLookup.offset(forTimestamp: Self.start + 15_000, folder: fixture.folder(), fileSystem: FileSystem())
    #expect(found == 15)
  }

  @Test("retention keeps the segment while its newest record is younger than retention.ms")
  func retentionKeepsIt() throws {
    let fixture = try Self.cutSegment(config: Self.config)
    var config = Self.config
    config.retentionMillis = 10_000
    fixture.clock.set(Self.start + 22_000)  // the newest record of segment 0 is 5 s old
    let log = try fixture.writer(config: config)
    #expect(try log.enforceRetention() == [])
    #expect(try fixture.segmentBases() == [0, 18])
  }
}
