import KQTestSupport
import Testing

@testable import KQStorage

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
}
