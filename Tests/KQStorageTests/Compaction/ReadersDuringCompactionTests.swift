import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Readers keep reading while segments are replaced under them: one inside an old segment
/// finishes it (it holds it open) and continues at the next kept offset, never returning an
/// offset twice nor skipping a record compaction kept.
@Suite("Readers during compaction")
struct ReadersDuringCompactionTests {
  @Test("a reader inside a replaced segment continues at the next kept offset", arguments: 0..<40 as Range<UInt64>)
  func readerInsideReplacedSegment(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    var config = TopicConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = 1024
    config.minCleanableDirtyRatio = 1
    config.deleteRetentionMillis = 0
    let fixture = try PartitionFixture(topic: "users", config: config)
    var uncompacted = config
    uncompacted.cleanupPolicy = .delete  // no compaction on roll: only the one below
    let log = try fixture.writer(config: uncompacted)
    var written: [Int64: Record] = [:]
    for index in 0..<Int.random(in: 40...120, using: &random) {
      let record = Record(
        key: Array("k\(Int.random(in: 0..<6, using: &random))".utf8),
        value: index % 7 == 3 ? nil : Array("v\(index)".utf8) + random.bytes(count: Int.random(in: 0...120, using: &random)),
        timestamp: fixture.clock.nowMillis())
      let result = try Batches.append([[record]], to: log)
      written[result.firstOffset] = record
    }
    // Readers at random places, each having returned some records.
    var readers: [(reader: PartitionReader, read: [StoredRecord])] = []
    for _ in 0..<4 {
      let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
      try reader.seek(to: Int64.random(in: 0..<Int64(written.count), using: &random))
      var read: [StoredRecord] = []
      for _ in 0..<Int.random(in: 0...3, using: &random) {
        guard let batch = try reader.nextBatch() else { break }
        read += try batch.records()
      }
      readers.append((reader, read))
    }
    let positions = readers.map(\.reader.position)
    let compactor = try fixture.writer()
    #expect(try compactor.compact().didClean)
    let kept = try fixture.readAll()
    for (number, var entry) in readers.enumerated() {
      while let batch = try entry.reader.nextBatch() { entry.read += try batch.records() }
      let offsets = entry.read.map(\.offset)
      #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0 < $1 }, "seed \(seed) reader \(number): \(offsets)")
      #expect(entry.read.allSatisfy { written[$0.offset] == $0.record }, "seed \(seed) reader \(number)")
      let after = Set(offsets.filter { $0 >= positions[number] })
      let missing = kept.filter { $0.offset >= positions[number] && !after.contains($0.offset) }.map(\.offset)
      #expect(missing.isEmpty, "seed \(seed) reader \(number) from \(positions[number]) missed kept offsets \(missing)")
    }
  }
}
