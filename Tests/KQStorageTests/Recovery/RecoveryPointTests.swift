import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

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

  static func pretendReboot(_ fixture: PartitionFixture, recoveryPoint: Int64) throws {
    try ByteSurgery.write(
      Array("kq-lock 1 an-earlier-boot 0 \(recoveryPoint)\n".utf8), to: FileNames.lockFile(in: fixture.folder()))
  }

  @Test("a sync moves the recovery point to the log end it made durable")
  func syncAdvancesRecoveryPoint() throws {
    let (fixture, bases) = try Self.fiveSegments(sync: true)
    #expect(bases.count >= 4)
    #expect(try Self.checkpoint(fixture).last == "46\n")
  }

  @Test("after a reboot, damage in a sealed segment past the recovery point stops the writer; no segment is removed")
  func rebootLeavesDamagedSealedSegment() throws {
    let (fixture, bases) = try Self.fiveSegments(sync: false)
    let damaged = bases[1]
    let path = fixture.logPath(base: damaged)
    let batches = try Batches.scan(path)
    let bad = batches[2]
    try ByteSurgery.flipByte(path, at: bad.position + 40)
    try Self.pretendReboot(fixture, recoveryPoint: 0)
    let before = try bases.map { try fixture.segmentFiles(base: $0) }
    let log = try fixture.writer()
    #expect(
      throws: StorageError.damagedLog(
        file: path, position: Int64(bad.position),
        reason: try SealedCorruptionTests.crcMismatch(path, at: bad.position, size: bad.header.size),
        firstOffset: bad.header.baseOffset, endOffset: batches[3].header.baseOffset)
    ) { try Batches.append([[Record(value: Array("after".utf8), timestamp: 1)]], to: log) }
    #expect(try fixture.segmentBases() == bases)
    #expect(try bases.map { try fixture.segmentFiles(base: $0) } == before)
    #expect(log.recoveryReports == [])
  }

  @Test("with kq.lock removed, a flipped byte in a sealed segment stops the writer; nothing is deleted")
  func lostCheckpointLeavesDamage() throws {
    let (fixture, bases) = try Self.fiveSegments(sync: true)
    let path = fixture.logPath(base: bases[1])
    let bad = try Batches.scan(path)[4]
    try ByteSurgery.flipByte(path, at: bad.position + 30)
    try FileManager.default.removeItem(atPath: FileNames.lockFile(in: fixture.folder()))
    let before = try bases.map { try fixture.segmentFiles(base: $0) }
    let log = try fixture.writer()
    do {
      try Batches.append([[Record(value: Array("after".utf8), timestamp: 1)]], to: log)
      Issue.record("the append went through")
    } catch StorageError.damagedLog(let file, let position, _, let first, _) {
      #expect(file == path && position == Int64(bad.position) && first == bad.header.baseOffset)
    }
    #expect(try fixture.segmentBases() == bases)
    #expect(try bases.map { try fixture.segmentFiles(base: $0) } == before)
  }

  @Test("after a reboot, synced segments below the recovery point are not rewritten: damage there is reported")
  func syncedSegmentsAreTrusted() throws {
    let (fixture, bases) = try Self.fiveSegments(sync: true)
    let damaged = bases[1]
    let bad = try Batches.scan(fixture.logPath(base: damaged))[2]
    try ByteSurgery.flipByte(fixture.logPath(base: damaged), at: bad.position + 40)
    try Self.pretendReboot(fixture, recoveryPoint: bases[bases.count - 1])
    let log = try fixture.writer()
    try Batches.append([[Record(value: Array("after".utf8), timestamp: 1)]], to: log)
    #expect(try fixture.segmentBases() == bases)
    #expect(throws: StorageError.self) { try fixture.readAll() }
  }

  @Test("a checkpoint field out of range (Int64.min) is an unknown checkpoint, not a trap")
  func checkpointOutOfRange() throws {
    let (fixture, _) = try Self.fiveSegments(sync: true)
    for line in ["kq-lock 1 boot -9223372036854775808 0\n", "kq-lock 1 boot 0 -1\n", "kq-lock 1 boot 99999999999999999999 0\n"] {
      try ByteSurgery.write(Array(line.utf8), to: FileNames.lockFile(in: fixture.folder()))
      let log = try fixture.writer()
      #expect(try Batches.append([[Record(value: [1], timestamp: 1)]], to: log).recordCount == 1, "\(line)")
      log.close()
      #expect(try Self.checkpoint(fixture)[3] == "\(fixture.clock.nowMillis())", "\(line): rewritten")
    }
  }
}
