import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// `expectDurability()` (produce's `--sync exit`) starts each append's writeback at once: a
/// hint to the kernel that must change neither what is stored nor what a sync reports.
@Suite("early writeback")
struct EarlyWritebackTests {
  static let start: Int64 = 1_700_000_000_000

  /// Appends the same records, across several segment rolls, to a fresh topic; returns the
  /// fixture and every segment's three files.
  private func store(expectingDurability: Bool, fileSystem: FileSystem = FileSystem()) throws
    -> (PartitionFixture, PartitionLog, [[[UInt8]]])
  {
    var config = TopicConfig()
    // Segments of ~600 KB: each gets a writeback started (from 256 KiB written) and a rest.
    config.segmentBytes = 600_000
    let fixture = try PartitionFixture(config: config, clock: ManualClock(Self.start))
    let log = try fixture.writer(fileSystem: fileSystem)
    if expectingDurability { log.expectDurability() }
    var random = SeededGenerator(seed: 14)
    for _ in 0..<400 {
      let records = (0..<Int.random(in: 1...9, using: &random)).map { _ in
        Record(key: random.bytes(count: 8), value: random.bytes(count: Int.random(in: 0...2000, using: &random)), timestamp: Self.start)
      }
      try Batches.append(records: records, to: log, maxBatchBytes: config.maxBatchBytes)
    }
    try log.sync()
    let files = try fixture.segmentBases().map { try fixture.segmentFiles(base: $0) }
    return (fixture, log, files)
  }

  @Test("a writer that expects durability stores the same segments, byte for byte, and syncs them")
  func sameBytes() throws {
    let (_, _, plain) = try store(expectingDurability: false)
    let (fixture, _, early) = try store(expectingDurability: true)
    try #require(plain.count > 3)
    #expect(early == plain)
    #expect(try fixture.readAll().count > 1000)
  }

  @Test("a failing fsync is still reported after the writeback was started")
  func syncFailureStillReported() throws {
    var failing = false
    let fileSystem = FileSystem(injecting: { operation, _ in
      failing && operation == .sync ? .fail(.io) : nil
    })
    let (fixture, log, _) = try store(expectingDurability: true, fileSystem: fileSystem)
    try Batches.append(records: [Record(value: [1, 2, 3], timestamp: Self.start)], to: log, maxBatchBytes: 1 << 20)
    failing = true
    let last = try #require(try fixture.segmentBases().last)
    #expect(throws: StorageError.io(.io, operation: "fsync", path: fixture.logPath(base: last))) { try log.sync() }
  }
}
