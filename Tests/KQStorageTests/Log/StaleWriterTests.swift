import KQLog
import Foundation
import KQTestSupport
import Testing

@testable import KQStorage

/// A writer whose view of the active segment is stale after another writer rolled past it and
/// retention deleted it and the segments after it. Found by RetentionUnderFollowerTests (four
/// producers, retention.bytes): the stale writer saw its old segment's size unchanged and the
/// next segment's name free, so it rolled into that name again, giving offsets a second time,
/// until a create met an existing segment ("cannot open …409.log: File exists; 408 records
/// before it were stored"). An unlinked active segment now sends the writer to the log's end.
@Suite("a writer behind retention")
struct StaleWriterTests {
  static let start: Int64 = 1_700_000_000_000
  /// 870 bytes: one to a 1024-byte segment.
  static func record(_ number: Int) -> Record {
    Record(key: nil, value: Array("r\(number)".utf8) + [UInt8](repeating: 9, count: 798), timestamp: start)
  }

  @Test("a writer whose active segment retention deleted appends at the log end, never at an old offset")
  func staleWriterAppendsAtTheEnd() throws {
    var config = TopicConfig()
    config.segmentBytes = 1024
    config.retentionBytes = 2048
    let fixture = try PartitionFixture(config: config, clock: ManualClock(Self.start))
    let stale = try fixture.writer()
    #expect(try Batches.append([[Self.record(0)]], to: stale).firstOffset == 0)
    let other = try fixture.writer()
    for number in 1...5 { try Batches.append([[Self.record(number)]], to: other) }
    // Retention deleted segment 0, the stale writer's active one, and segment 1 after it.
    #expect(try fixture.segmentBases() == [2, 3, 4, 5])
    #expect(try Batches.append([[Self.record(6)]], to: stale).firstOffset == 6)
    let stored = try fixture.readAll()
    let start = try #require(stored.first?.offset)
    #expect(stored.map(\.offset) == Array(start...6))
    #expect(stored.map { String(decoding: $0.record.value?.prefix(2) ?? [], as: UTF8.self) } == (start...6).map { "r\($0)" })
  }
}
