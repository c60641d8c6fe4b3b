import KQCompression
import KQStorage
import KQTestSupport
import Testing
import KQLog

/// A seeded model of compaction: a map of every record appended, and per key its last record
/// below the cleaned end. After every step, reading the partition from the start (and from a
/// random offset, often inside a gap) gives exactly the model's records: below the cleaned end
/// each key's last record (tombstones until their delete horizon passed), above it every
/// record appended, in offset order.
@Suite("Compaction model")
struct CompactionModelTests {
  static let deleteRetention: Int64 = 5_000

  struct Model {
    var appended: [Int64: Record] = [:]
    var cleanedEnd: Int64 = 0
    /// When the batch of each kept tombstone was first cleaned.
    var firstCleaned: [Int64: Int64] = [:]
    var removed: Set<Int64> = []
    /// Offsets kept below the cleaned end.
    var kept: Set<Int64> = []

    mutating func compacted(end: Int64, at now: Int64) {
      cleanedEnd = max(cleanedEnd, end)
      var last: [[UInt8]: Int64] = [:]
      for (offset, record) in appended where offset < cleanedEnd && !removed.contains(offset) {
        guard let key = record.key else { continue }
        if let known = last[key], known > offset { continue }
        last[key] = offset
      }
      kept = []
      for offset in last.values {
        guard appended[offset]?.value == nil else {
          kept.insert(offset)
          continue
        }
        if let first = firstCleaned[offset] {
          if first + CompactionModelTests.deleteRetention <= now {
            removed.insert(offset)
            continue
          }
        } else {
          firstCleaned[offset] = now
        }
        kept.insert(offset)
      }
      // A key's older records are gone for good, even if its last one goes too.
      for (offset, _) in appended where offset < cleanedEnd && !kept.contains(offset) { removed.insert(offset) }
    }

    func expected(from start: Int64) -> [StoredRecord] {
      appended.keys.sorted().filter { $0 >= start && ($0 >= cleanedEnd ? true : kept.contains($0)) }
        .map { StoredRecord(offset: $0, record: appended[$0]!) }
    }
  }

  @Test("reading a compacted partition gives each key's last record below the cleaned end, then every record", arguments: 0..<150 as Range<UInt64>)
  func modelHolds(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    var config = TopicConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = 1024
    config.deleteRetentionMillis = Self.deleteRetention
    config.minCleanableDirtyRatio = [0.0, 0.5, 1.0].randomElement(using: &random)!
    let fixture = try PartitionFixture(topic: "changelog", config: config)
    let log = try fixture.writer()
    var model = Model()
    let keys = (0..<Int.random(in: 2...12, using: &random)).map { Array("user-\($0)".utf8) }
    let codec: CompressionCodec = seed % 5 == 0 ? .gzip : .none
    for _ in 0..<Int.random(in: 20...60, using: &random) {
      let before = CleanerCheckpoint.cleanedEnd(folder: fixture.folder(), fileSystem: FileSystem())
      switch Int.random(in: 0..<10, using: &random) {
      case 0..<7:
        var runs: [[Record]] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
          runs.append((0..<Int.random(in: 1...6, using: &random)).map { _ in
            let isTombstone = Int.random(in: 0..<6, using: &random) == 0
            let value = isTombstone ? nil : Array("v\(random.next() % 1000)".utf8) + random.bytes(count: Int.random(in: 0...60, using: &random))
            return Record(key: keys.randomElement(using: &random)!, value: value, timestamp: fixture.clock.nowMillis())
          })
        }
        let result = try Batches.append(runs, to: log, codec: codec)
        for (index, record) in runs.joined().enumerated() { model.appended[result.firstOffset + Int64(index)] = record }
        let after = CleanerCheckpoint.cleanedEnd(folder: fixture.folder(), fileSystem: FileSystem())
        if after != before { model.compacted(end: after, at: fixture.clock.nowMillis()) }  // due after a roll
      case 7, 8:
        let report = try log.compact()
        if report.didClean { model.compacted(end: report.cleanedEnd, at: fixture.clock.nowMillis()) }
      default:
        fixture.clock.advance(by: Int64.random(in: 0...4_000, using: &random))
      }
      #expect(try fixture.readAll() == model.expected(from: 0), "seed \(seed)")
      let from = Int64.random(in: 0...Int64(max(1, model.appended.count)), using: &random)
      #expect(try fixture.readAll(from: from) == model.expected(from: from), "seed \(seed) from \(from)")
    }
  }
}
