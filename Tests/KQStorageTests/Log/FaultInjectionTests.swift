import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Appends that the file system refuses (ENOSPC, a short write) leave the partition exactly as
/// it was: earlier records readable, the next append at the same offset, the same bytes as a
/// writer that never failed.
@Suite("file system faults")
struct FaultInjectionTests {
  enum Case: CaseIterable {
    case logNoSpace, logShortWrite, indexNoSpace, indexShortWrite, timeIndexNoSpace

    var suffix: String {
      switch self {
      case .logNoSpace, .logShortWrite: ".log"
      case .indexNoSpace, .indexShortWrite: ".index"
      case .timeIndexNoSpace: ".timeindex"
      }
    }
    var fault: FileSystem.Fault {
      switch self {
      case .logNoSpace, .indexNoSpace, .timeIndexNoSpace: .fail(.noSpace)
      case .logShortWrite: .shortWrite(30)
      case .indexShortWrite: .shortWrite(3)
      }
    }
  }

  static let start: Int64 = 1_700_000_000_000

  /// Four 1048-byte batches (offsets 0–11): the next batch, after 4192 > 4096 bytes, gets
  /// `.index` and `.timeindex` entries, so an append writes all three files.
  static let before: [[Record]] = (0..<4).map { b in
    (0..<3).map {
      Record(key: nil, value: [UInt8](repeating: UInt8(b), count: 320), timestamp: start + Int64(b * 3 + $0))
    }
  }
  static let refused = [Record(key: Array("k".utf8), value: Array("refused".utf8), timestamp: start + 100)]
  static let next = [Record(key: Array("k".utf8), value: Array("stored".utf8), timestamp: start + 200)]

  @Test(
    "an append the file system refuses throws .io(ENOSPC) and leaves the partition as it was",
    arguments: Case.allCases)
  func refusedAppend(fault: Case) throws {
    let fixture = try PartitionFixture()
    let plan = FaultPlan()
    let log = try fixture.writer(fileSystem: plan.fileSystem)
    for run in Self.before { try Batches.append([run], to: log) }
    let files = try fixture.segmentFiles()
    let records = try fixture.readAll()
    plan.arm(.write, pathSuffix: fault.suffix, fault.fault)
    let path = FileNames.logFile(in: fixture.folder(), base: 0).replacingSuffix(".log", with: fault.suffix)
    #expect(throws: StorageError.io(.noSpace, operation: "write", path: path)) {
      try Batches.append([Self.refused], to: log)
    }
    #expect(plan.fired == ["write \(path)"])
    #expect(try fixture.segmentFiles() == files)
    #expect(try fixture.readAll() == records)
    #expect(try Batches.append([Self.next], to: log) == .init(firstOffset: 12, recordCount: 1))
    // The same bytes as a writer that never met the fault.
    let reference = try PartitionFixture()
    let referenceLog = try reference.writer()
    for run in Self.before + [Self.next] { try Batches.append([run], to: referenceLog) }
    #expect(try fixture.segmentFiles() == reference.segmentFiles())
    #expect(try fixture.offsetIndex(base: 0).map(\.offset) == [12])
  }

  @Test("an append whose roll cannot create the new segment fails whole, and the next append rolls")
  func refusedRoll() throws {
    var config = TopicConfig()
    config.segmentBytes = 1024
    let fixture = try PartitionFixture(config: config)
    let plan = FaultPlan()
    let log = try fixture.writer(fileSystem: plan.fileSystem)
    let big = Record(key: nil, value: [UInt8](repeating: 1, count: 800), timestamp: Self.start)
    try Batches.append([[big]], to: log)
    plan.arm(.open, pathSuffix: "00000000000000000001.log", .fail(.noSpace))
    #expect(throws: StorageError.io(.noSpace, operation: "open", path: fixture.logPath(base: 1))) {
      try Batches.append([[big]], to: log)
    }
    #expect(try fixture.segmentBases() == [0])
    #expect(try Batches.append([[big]], to: log) == .init(firstOffset: 1, recordCount: 1))
    #expect(try fixture.segmentBases() == [0, 1])
    #expect(try fixture.readAll().map(\.offset) == [0, 1])
    // Segment 0 was sealed once: one final time-index entry (timestamp, relative offset 0).
    #expect(try ByteSurgery.read(fixture.timeIndexPath(base: 0)).count == TimeIndex.entrySize)
  }

  @Test(
    "an append spanning segments that fails in a later one keeps the segments it filled and says how many records they hold",
    arguments: [FileSystem.FileOperation.write, .open])
  func appendStoppedPartway(operation: FileSystem.FileOperation) throws {
    var config = TopicConfig()
    config.segmentBytes = 1024
    let fixture = try PartitionFixture(config: config)
    let plan = FaultPlan()
    let log = try fixture.writer(fileSystem: plan.fileSystem)
    let big = Record(key: nil, value: [UInt8](repeating: 1, count: 800), timestamp: Self.start)
    // Four one-record batches, one per segment: the third's segment cannot be written (or made).
    plan.arm(operation, pathSuffix: "00000000000000000002.log", .fail(.noSpace))
    #expect(
      throws: StorageError.appendStoppedPartway(
        firstOffset: 0, recordsStored: 2, cause: .io(.noSpace, operation: operation.rawValue, path: fixture.logPath(base: 2)))
    ) { try Batches.append([[big], [big], [big], [big]], to: log) }
    #expect(try fixture.readAll().map(\.offset) == [0, 1])
    #expect(try Batches.append([[big]], to: log) == .init(firstOffset: 2, recordCount: 1))
    #expect(try fixture.readAll().map(\.offset) == [0, 1, 2])
  }
}

extension String {
  fileprivate func replacingSuffix(_ suffix: String, with replacement: String) -> String {
    hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
  }
}
