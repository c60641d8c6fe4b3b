import KQTestSupport
import Testing

@testable import KQStorage

/// The recovery point in kq.lock: what a reboot makes the next writer check.
@Suite("recovery point")
struct RecoveryPointTests {
  /// A partition of 5 segments of 10 one-record batches each, synced or not.
  static func fiveSegments(sync: Bool) throws -> (PartitionFixture, [Int64]) {
    var config = TopicConfig()
    config.segmentBytes = 1024
    config.retentionMillis = -1
    let fixture = try PartitionFixture(config: config)
    let log = try fixture.writer()
    for index in 0..<46 {
      let value = Array(String(repeating: "v", count: 20 + index % 7).utf8)
      try Batches.append([[Record(value: value, timestamp: 1_700_000_000_000 + Int64(index))]], to: log)
    }
    if sync { try log.sync() }
    log.close()
    return (fixture, try fixture.segmentBases())
  }

  static func checkpoint(_ fixture: PartitionFixture) throws -> [String] {
    String(decoding: try ByteSurgery.read(FileNames.lockFile(in: fixture.folder())), as: UTF8.self)
      .split(separator: " ").map(String.init)
  }

  static func pretendReboot(_ fixture: PartitionFixture, recoveryBase: Int64) throws {
    try ByteSurgery.write(
      Array("kq-lock 1 an-earlier-boot 0 \(recoveryBase)\n".utf8), to: FileNames.lockFile(in: fixture.folder()))
  }

  @Test("a sync moves the recovery point to the active segment's base")
  func syncAdvancesRecoveryPoint() throws {
    let (fixture, bases) = try Self.fiveSegments(sync: true)
    #expect(bases.count >= 4)
    #expect(try Self.checkpoint(fixture).last == "\(bases.last ?? -1)\n")
  }

  @Test("after a reboot, damage in a sealed segment past the recovery point cuts the log there")
  func rebootCutsDamagedSealedSegment() throws {
    let (fixture, bases) = try Self.fiveSegments(sync: false)
    let damaged = bases[1]
    let batches = try Batches.scan(fixture.logPath(base: damaged))
    let bad = batches[2]
    try ByteSurgery.flipByte(fixture.logPath(base: damaged), at: bad.position + 40)
    try Self.pretendReboot(fixture, recoveryBase: 0)
    let log = try fixture.writer()
    let appended = try Batches.append([[Record(value: Array("after".utf8), timestamp: 1)]], to: log)
    #expect(appended.firstOffset == bad.header.baseOffset)
    #expect(try fixture.segmentBases() == [bases[0], damaged])
    let offsets = try fixture.readAll().map(\.offset)
    #expect(offsets == Array(0...bad.header.baseOffset))
    #expect(log.recoveryReports.count == bases.count - 2 + 1)
  }

  @Test("after a reboot, synced segments below the recovery point are not rewritten: damage there is reported")
  func syncedSegmentsAreTrusted() throws {
    let (fixture, bases) = try Self.fiveSegments(sync: true)
    let damaged = bases[1]
    let bad = try Batches.scan(fixture.logPath(base: damaged))[2]
    try ByteSurgery.flipByte(fixture.logPath(base: damaged), at: bad.position + 40)
    try Self.pretendReboot(fixture, recoveryBase: bases[bases.count - 1])
    let log = try fixture.writer()
    try Batches.append([[Record(value: Array("after".utf8), timestamp: 1)]], to: log)
    #expect(try fixture.segmentBases() == bases)
    #expect(throws: StorageError.self) { try fixture.readAll() }
  }
}
