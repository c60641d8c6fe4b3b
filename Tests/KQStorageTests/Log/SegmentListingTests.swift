import Foundation
import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// A listing taken while a writer creates segments may leave out one created during it and
/// show a later one (ext4 lists in hash order). The `omitEntries` fault makes that happen on
/// demand: nothing that reads a partition may then skip a segment.
@Suite("segment listings")
struct SegmentListingTests {
  static func name(_ base: Int64) -> String { FileNames.segmentBaseName(base) + ".log" }

  /// Five one-record segments, offsets 0–4 (as `RetentionTests.fiveSegments`).
  static func fiveSegments() throws -> PartitionFixture { try RetentionTests.fiveSegments() }

  @Test("a reader at the end of a segment opens the one starting at its end, whatever a listing shows")
  func readerFollowsByName() throws {
    let fixture = try Self.fiveSegments()
    let faults = FaultPlan()
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: faults.fileSystem)
    try reader.seek(to: 0)
    #expect(try reader.nextBatch()?.records().map(\.offset) == [0])
    // Every listing from now on leaves out segment 1, as one racing its creation may.
    for _ in 0..<8 { faults.arm(.listDirectory, pathSuffix: "events-0", .omitEntries([Self.name(1)])) }
    var offsets: [Int64] = []
    while let batch = try reader.nextBatch() { offsets += try batch.records().map(\.offset) }
    #expect(offsets == [1, 2, 3, 4])
    #expect(reader.offsetsLostToRetention == 0)
  }

  @Test("a listing that leaves out a segment created during it is completed by a second listing")
  func basesAreComplete() throws {
    let fixture = try Self.fiveSegments()
    let faults = FaultPlan()
    faults.arm(.listDirectory, pathSuffix: "events-0", .omitEntries([Self.name(0), Self.name(3)]))
    #expect(try SegmentFiles.bases(in: fixture.folder(), fileSystem: faults.fileSystem) == [0, 1, 2, 3, 4])
    faults.arm(.listDirectory, pathSuffix: "events-0", .omitEntries([Self.name(0)]))
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: faults.fileSystem)
    #expect(try reader.bounds() == (0, 5))
    faults.arm(.listDirectory, pathSuffix: "events-0", .omitEntries([Self.name(0)]))
    try reader.seek(to: 0)
    #expect(reader.position == 0)
    #expect(try reader.nextBatch()?.records().map(\.offset) == [0])
  }

  @Test("a reader following a writer that rolls at every batch returns every offset once, in order")
  func followingRapidRolls() throws {
    var config = TopicConfig()
    config.segmentBytes = 1024
    config.retentionMillis = -1
    let fixture = try PartitionFixture(config: config)
    let total = 500
    let progress = Progress()
    let (folder, clock, writerConfig) = (fixture.folder(), fixture.clock, config)
    let thread = Thread {
      do {
        let log = try PartitionLog(folder: folder, config: writerConfig, fileSystem: FileSystem(), clock: clock)
        for _ in 0..<total {
          try Batches.append([[RetentionTests.record(RetentionTests.start)]], to: log)
          progress.advance()
        }
      } catch { progress.fail() }
      progress.finish()
    }
    thread.start()
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    try reader.seek(to: 0)
    var offsets: [Int64] = []
    var seen = 0
    while offsets.count < total {
      if let batch = try reader.nextBatch() {
        offsets += try batch.records().map(\.offset)
      } else {
        // Caught up: wait for the writer's next append (not a sleep), then read on.
        guard let now = progress.wait(after: seen) else { break }
        seen = now
      }
    }
    #expect(progress.finished() == true)
    #expect(offsets == Array(0..<Int64(total)))
  }

  /// The writer thread's appends so far, for the reader to wait on.
  final class Progress: @unchecked Sendable {
    private let condition = NSCondition()
    private var appended = 0
    private var isDone = false
    private var hasFailed = false
    func advance() { condition.withLock { appended += 1; condition.broadcast() } }
    func fail() { condition.withLock { hasFailed = true } }
    func finish() { condition.withLock { isDone = true; condition.broadcast() } }
    /// Waits until more than `count` appends were made; nil once the writer is done and made none.
    func wait(after count: Int) -> Int? {
      condition.withLock {
        while appended <= count && !isDone { condition.wait() }
        return appended > count ? appended : nil
      }
    }
    /// Waits for the writer to end; whether it ended without failing.
    func finished() -> Bool {
      condition.withLock {
        while !isDone { condition.wait() }
        return !hasFailed
      }
    }
  }
}
