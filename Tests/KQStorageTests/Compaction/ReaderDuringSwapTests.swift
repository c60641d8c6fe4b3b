import Foundation
import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// A reader inside an old segment while a swap removes the old segments two at a time
/// (`SegmentSwap`, step 4): its successor may be gone while it is still linked. It must
/// continue in the cleaned segment, not report a gap, nor skip what the cleaned segment kept.
@Suite("Reader during a swap")
struct ReaderDuringSwapTests {
  @Test("a reader in a replaced segment whose successor went first continues in the cleaned segment",
    arguments: 0..<12 as Range<UInt64>, [false, true])
  func successorRemovedFirst(seed: UInt64, opensAfterCheckpoint: Bool) throws {
    var random = SeededGenerator(seed: seed)
    var config = TopicConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = 1024
    config.deleteRetentionMillis = 0
    let fixture = try PartitionFixture(topic: "users", config: config)
    var appending = config
    appending.cleanupPolicy = .delete  // no compaction on roll
    let log = try fixture.writer(config: appending)
    for index in 0..<Int.random(in: 60...120, using: &random) {
      let record = Record(
        key: Array("k\(Int.random(in: 0..<5, using: &random))".utf8),
        value: Array("v\(index)".utf8) + random.bytes(count: Int.random(in: 0...100, using: &random)),
        timestamp: fixture.clock.nowMillis())
      _ = try Batches.append([[record]], to: log)
    }
    log.close()
    let bases = try fixture.segmentBases()
    try #require(bases.count >= 5, "seed \(seed): \(bases)")
    let end = bases[bases.count - 1]  // the active segment: every sealed one is cleaned into one

    // What the cleaner makes of it, in a copy: one cleaned segment at base 0 up to `end`.
    let copy = fixture.directory.at("copy")
    try FileManager.default.copyItem(atPath: fixture.folder(), toPath: copy)
    var oneGroup = config
    oneGroup.segmentBytes = 1 << 30
    let cleaner = try PartitionLog(folder: copy, config: oneGroup, fileSystem: FileSystem(), clock: fixture.clock)
    #expect(try cleaner.compact().didClean)
    cleaner.close()
    let kept = try Self.readAll(copy)
    // The cleaner raises its checkpoint before the swap: a reader opening the segment after
    // that sees it as cleaned.
    let folder = fixture.folder()
    let checkpoint = "/cleaner-offset-checkpoint"
    if opensAfterCheckpoint { try FileManager.default.copyItem(atPath: copy + checkpoint, toPath: folder + checkpoint) }

    // A reader inside the second segment, having read some of it.
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    try reader.seek(to: bases[1])
    var read: [StoredRecord] = []
    if let batch = try reader.nextBatch() { read += try batch.records() }
    let start = reader.position

    // The swap in the partition, stopped in step 4 with the third segment removed before the
    // second (the reader's): checkpoint, index swaps, the cleaned log in place.
    if !opensAfterCheckpoint { try FileManager.default.copyItem(atPath: copy + checkpoint, toPath: folder + checkpoint) }
    for ext in [".index", ".timeindex"] {
      try FileManager.default.copyItem(
        atPath: FileNames.segmentFile(in: copy, base: 0, extension: ext),
        toPath: FileNames.swapFile(in: folder, base: 0, end: end, extension: ext))
    }
    #expect(rename(FileNames.logFile(in: copy, base: 0), FileNames.logFile(in: folder, base: 0)) == 0)
    try SegmentFiles.remove(folder: folder, base: bases[2], fileSystem: FileSystem())

    while let batch = try reader.nextBatch() { read += try batch.records() }
    let offsets = read.map(\.offset)
    #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0 < $1 }, "seed \(seed) \(opensAfterCheckpoint): \(offsets)")
    let after = Set(offsets.filter { $0 >= start })
    let missing = kept.filter { $0.offset >= start && !after.contains($0.offset) }.map(\.offset)
    #expect(missing.isEmpty, "seed \(seed) \(opensAfterCheckpoint): from \(start) missed kept offsets \(missing)")
  }

  private static func readAll(_ folder: String) throws -> [StoredRecord] {
    let reader = PartitionReader(folder: folder, fileSystem: FileSystem())
    var records: [StoredRecord] = []
    while let batch = try reader.nextBatch() { records += try batch.records() }
    return records
  }
}
