import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Damage that no crash leaves: inside a sealed segment, or before the active segment's last
/// batch. Reads fail with the file and byte position; nothing is skipped or repaired silently.
@Suite("corruption in sealed segments")
struct SealedCorruptionTests {
  static let start: Int64 = 1_700_000_000_000

  /// Three segments of 1 KiB (offsets 0–14, five records per segment in batches of 1 and 4).
  static func makeLog() throws -> PartitionFixture {
    var config = TopicConfig()
    config.segmentBytes = 1024
    let fixture = try PartitionFixture(config: config)
    let log = try fixture.writer()
    for segment in 0..<3 {
      let records = (0..<5).map {
        Record(key: nil, value: [UInt8](repeating: UInt8($0), count: 150), timestamp: start + Int64(segment * 5 + $0))
      }
      try Batches.append([Array(records.prefix(1)), Array(records.dropFirst())], to: log)
    }
    try #require(try fixture.segmentBases() == [0, 5, 10])
    return fixture
  }

  static func readAll(_ fixture: PartitionFixture, from offset: Int64 = 0) throws {
    _ = try fixture.readAll(from: offset)
  }

  /// The error for the damaged batch at `position` of `path`: its stored CRC and the CRC of
  /// what the file holds now.
  static func crcError(_ path: String, at position: Int, size: Int) throws -> StorageError {
    .corruptBatch(file: path, position: Int64(position), reason: try crcMismatch(path, at: position, size: size))
  }

  /// The reason for the damaged batch at `position`: its stored CRC and the CRC of its bytes.
  static func crcMismatch(_ path: String, at position: Int, size: Int) throws -> BatchDecodeError {
    let bytes = try ByteSurgery.read(path)
    let stored = bytes[(position + 17)..<(position + 21)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    let computed = CRC32C.checksum(Array(bytes[(position + 21)..<(position + size)]))
    return .crcMismatch(stored: stored, computed: computed)
  }

  @Test("a flipped byte in a sealed segment makes reads fail with the file, batch position and both CRCs")
  func flippedByte() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 5)
    let second = try #require(Batches.scan(path).last)
    try ByteSurgery.flipByte(path, at: second.position + 200)
    let expected = try Self.crcError(path, at: second.position, size: second.header.size)
    #expect(throws: expected) { try Self.readAll(fixture) }
    #expect(throws: expected) { try Self.readAll(fixture, from: 7) }
    #expect(try fixture.readAll(from: 10).map(\.offset) == Array(10...14))  // later segments still read
  }

  @Test("a sealed segment cut inside its last batch makes reads fail as truncated, not end early")
  func truncatedSealedSegment() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 0)
    let last = try #require(Batches.scan(path).last)
    try ByteSurgery.truncate(path, to: last.position + 100)
    #expect(
      throws: StorageError.corruptBatch(
        file: path, position: Int64(last.position), reason: .truncated(needed: last.header.size, available: 100))
    ) { try Self.readAll(fixture) }
  }

  @Test("a batch length below the 49-byte minimum in a sealed segment is reported as invalid")
  func invalidLength() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 0)
    let last = try #require(Batches.scan(path).last)
    try ByteSurgery.overwrite(path, at: last.position + 8, with: [0, 0, 0, 16])
    #expect(throws: StorageError.corruptBatch(file: path, position: Int64(last.position), reason: .invalidLength(16))) {
      try Self.readAll(fixture)
    }
  }

  @Test("a writer opening the partition leaves a damaged sealed segment as it is, and reads still fail")
  func writerDoesNotRepairSealedSegments() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 0)
    let first = try #require(Batches.scan(path).first)
    try ByteSurgery.flipByte(path, at: 150)
    let damaged = try ByteSurgery.read(path)
    let expected = try Self.crcError(path, at: 0, size: first.header.size)
    let log = try fixture.writer()
    #expect(
      try Batches.append([[Record(value: [1], timestamp: Self.start)]], to: log)
        == .init(firstOffset: 15, recordCount: 1))
    #expect(log.recoveryReports == [])
    #expect(try ByteSurgery.read(path) == damaged)
    #expect(throws: expected) { try Self.readAll(fixture) }
  }

  @Test("a damaged batch before the last one of the active segment is corruption, not a torn tail")
  func damageInsideActiveSegment() throws {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    for i: Int64 in 0..<3 {
      try Batches.append([[Record(value: [UInt8](repeating: 1, count: 50), timestamp: Self.start + i)]], to: log)
    }
    let path = fixture.logPath(base: 0)
    let first = try #require(Batches.scan(path).first)
    try ByteSurgery.flipByte(path, at: first.position + 70)
    #expect(throws: try Self.crcError(path, at: 0, size: first.header.size)) {
      try Self.readAll(fixture)
    }
  }

  @Test("a timestamp lookup that meets a corrupt batch fails with its position instead of skipping it")
  func timestampLookupMeetsCorruption() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 5)
    let second = try #require(Batches.scan(path).last)
    try ByteSurgery.overwrite(path, at: second.position + 16, with: [7])  // magic 7
    #expect(
      throws: StorageError.corruptBatch(file: path, position: Int64(second.position), reason: .unsupportedMagic(7))
    ) {
      _ = try IndexLookup.offset(forTimestamp: Self.start + 7, folder: fixture.folder(), fileSystem: FileSystem())
    }
  }
}
