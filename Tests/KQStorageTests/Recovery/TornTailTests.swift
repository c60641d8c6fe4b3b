import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// The last batch of the active segment cut short or overwritten. What a crash leaves (a write
/// cut short; zeros; after a reboot, an unsynced batch) a new writer drops exactly, says so, and
/// appends where it began; what only a bad disk leaves, it names and leaves alone.
@Suite("torn tail recovery")
struct TornTailTests {
  enum Layout: CaseIterable {
    /// A small segment: no offset index entries at all.
    case withoutIndexEntries
    /// The last offset-index entry points at the damaged batch itself.
    case lastBatchIndexed
    /// The damaged batch comes after the last offset-index entry.
    case lastBatchAfterIndexEntry

    /// Batches of three 300-byte records (~1 KB) before the last, small batch. The
    /// index entry is added before a batch once more than 4096 bytes went by: batch 5.
    var largeBatches: Int {
      switch self {
      case .withoutIndexEntries: 3
      case .lastBatchIndexed: 5
      case .lastBatchAfterIndexEntry: 7
      }
    }
  }

  static let start: Int64 = 1_700_000_000_000

  struct Case {
    let fixture: PartitionFixture
    let saved: [String: [UInt8]]
    let kept: [StoredRecord]
    let lastPosition: Int
    let lastSize: Int
    let lastBase: Int64
    let reference: PartitionFixture
    let newRecord = Record(key: Array("after".utf8), value: Array("recovery".utf8), timestamp: TornTailTests.start + 99)
    var logPath: String { fixture.logPath(base: 0) }

    init(_ layout: Layout) throws {
      var random = SeededGenerator(seed: 7)
      var runs: [[Record]] = (0..<layout.largeBatches).map { b in
        (0..<3).map { i in
          Record(
            key: Array("k\(b)-\(i)".utf8), value: random.bytes(count: 300),
            headers: [Header(key: Array("h".utf8), value: nil)], timestamp: TornTailTests.start + Int64(b * 10 - i))
        }
      }
      runs.append((0..<3).map { i in random.record(around: TornTailTests.start + 50 + Int64(i), longest: 60) })
      fixture = try PartitionFixture()
      let log = try fixture.writer()
      for run in runs { try Batches.append([run], to: log) }
      log.close()
      let batches = try Batches.scan(fixture.logPath(base: 0))
      let lastPosition = batches.last!.position
      self.lastPosition = lastPosition
      lastSize = batches.last!.header.size
      let lastBase = batches.last!.header.baseOffset
      self.lastBase = lastBase
      let indexedPositions = try fixture.offsetIndex(base: 0).map { Int($0.position) }
      switch layout {
      case .withoutIndexEntries: try #require(indexedPositions.isEmpty)
      case .lastBatchIndexed: try #require(indexedPositions.last == lastPosition)
      case .lastBatchAfterIndexEntry:
        try #require(indexedPositions.last.map { $0 < batches[batches.count - 2].position } == true)
      }
      kept = try fixture.readAll().filter { $0.offset < lastBase }
      var saved: [String: [UInt8]] = [:]
      for name in try FileManager.default.contentsOfDirectory(atPath: fixture.folder()) {
        saved[name] = try ByteSurgery.read(fixture.folder() + "/" + name)
      }
      self.saved = saved
      // What a writer that never saw the damaged batch leaves after appending `newRecord`.
      reference = try PartitionFixture()
      let referenceLog = try reference.writer()
      for run in runs.dropLast() { try Batches.append([run], to: referenceLog) }
      try Batches.append([[newRecord]], to: referenceLog)
    }

    func restore() throws {
      for (name, bytes) in saved { try ByteSurgery.write(bytes, to: fixture.folder() + "/" + name) }
    }

    /// Opens a new writer on the damaged files, appends `newRecord`, and checks everything.
    func expectRecovery(removing bytesRemoved: Int, indexesRebuilt: Bool, _ what: String) throws {
      let log = try fixture.writer()
      defer { log.close() }
      let appended = try Batches.append([[newRecord]], to: log)
      #expect(appended == .init(firstOffset: lastBase, recordCount: 1), "\(what)")
      let report = RecoveryReport(
        file: logPath, truncatedAt: Int64(lastPosition), bytesRemoved: Int64(bytesRemoved),
        indexesRebuilt: indexesRebuilt)
      #expect(log.recoveryReports == [report], "\(what)")
      #expect(try fixture.readAll() == kept + [StoredRecord(offset: lastBase, record: newRecord)], "\(what)")
      #expect(try fixture.segmentFiles() == reference.segmentFiles(), "\(what): .log, .index, .timeindex")
    }
  }

  @Test(
    "a last batch cut at any byte is dropped exactly and appends continue at its base offset",
    arguments: Layout.allCases)
  func cutAtEveryByte(layout: Layout) throws {
    let damage = try Case(layout)
    for length in (damage.lastPosition + 1)..<(damage.lastPosition + damage.lastSize) {
      try damage.restore()
      try ByteSurgery.truncate(damage.logPath, to: length)
      try damage.expectRecovery(
        removing: length - damage.lastPosition, indexesRebuilt: layout == .lastBatchIndexed, "cut at \(length)")
    }
  }

  @Test(
    "a whole last batch whose bytes are damaged is not a torn tail: the writer stops, naming it, and changes no byte",
    arguments: Layout.allCases)
  func damagedLastBatchStopsWriter(layout: Layout) throws {
    let damage = try Case(layout)
    var random = SeededGenerator(seed: 99)
    let size = damage.lastSize
    // Its length field stays: the batch is whole, so no crash of this boot made it.
    for garbage in [1, 4, 40, size - BatchLayout.headerSize, size - BatchLayout.logOverhead] {
      try damage.restore()
      try ByteSurgery.overwrite(damage.logPath, at: damage.lastPosition + size - garbage, with: random.bytes(count: garbage))
      try damage.expectRefusal(endOffset: nil, "last \(garbage) bytes overwritten")
    }
  }

  @Test("a last batch that is all zeros (its size reached the disk, its data did not) is dropped exactly", arguments: Layout.allCases)
  func zeroedLastBatch(layout: Layout) throws {
    let damage = try Case(layout)
    try ByteSurgery.overwrite(damage.logPath, at: damage.lastPosition, with: [UInt8](repeating: 0, count: damage.lastSize))
    try damage.expectRecovery(removing: damage.lastSize, indexesRebuilt: layout == .lastBatchIndexed, "zeroed")
  }

  @Test(
    "after a reboot, a damaged whole last batch past the recovery point is cut; at or below what was synced it stops the writer",
    arguments: Layout.allCases)
  func rebootUnsyncedLastBatch(layout: Layout) throws {
    let damage = try Case(layout)
    var random = SeededGenerator(seed: 5)
    let size = damage.lastSize
    for garbage in [1, 40, size - BatchLayout.logOverhead] {
      try damage.restore()
      try ByteSurgery.overwrite(damage.logPath, at: damage.lastPosition + size - garbage, with: random.bytes(count: garbage))
      try damage.pretendReboot(recoveryPoint: damage.lastBase)
      try damage.expectRecovery(removing: size, indexesRebuilt: true, "unsynced, last \(garbage) bytes overwritten")
      try damage.restore()
      try ByteSurgery.overwrite(damage.logPath, at: damage.lastPosition + size - garbage, with: random.bytes(count: garbage))
      try damage.pretendReboot(recoveryPoint: damage.lastBase + 1)
      try damage.expectRefusal(endOffset: nil, "synced, last \(garbage) bytes overwritten")
    }
  }
}

extension TornTailTests.Case {
  /// Writes a checkpoint of another boot with `recoveryPoint` into kq.lock.
  func pretendReboot(recoveryPoint: Int64) throws {
    try ByteSurgery.write(
      Array("kq-lock 1 an-earlier-boot 0 \(recoveryPoint)\n".utf8), to: FileNames.lockFile(in: fixture.folder()))
  }

  /// Opens a new writer on the damaged files: the append fails with `damagedLog` naming the
  /// last batch and the offsets from it, and the segment's files keep every byte.
  func expectRefusal(endOffset: Int64?, _ what: String) throws {
    let before = try fixture.segmentFiles()
    let log = try fixture.writer()
    defer { log.close() }
    do {
      try Batches.append([[newRecord]], to: log)
      Issue.record("\(what): the append went through")
    } catch StorageError.damagedLog(let file, let position, _, let first, let end) {
      #expect(file == logPath && position == Int64(lastPosition), "\(what)")
      #expect(first == lastBase && end == endOffset, "\(what)")
    }
    #expect(log.recoveryReports == [], "\(what)")
    #expect(try fixture.segmentFiles() == before, "\(what): .log, .index, .timeindex unchanged")
  }
}

extension TornTailTests {
  @Test("after a reboot, damage in the middle of the active segment stops the writer, naming the offsets up to the intact batch after it")
  func rebootFindsDamageInTheMiddle() throws {
    let damage = try Case(.lastBatchAfterIndexEntry)
    let batches = try Batches.scan(damage.logPath)
    let second = batches[1]
    try ByteSurgery.flipByte(damage.logPath, at: second.position + 100)
    try damage.pretendReboot(recoveryPoint: 0)
    let before = try damage.fixture.segmentFiles()
    let log = try damage.fixture.writer()
    defer { log.close() }
    #expect(
      throws: StorageError.damagedLog(
        file: damage.logPath, position: Int64(second.position),
        reason: try SealedCorruptionTests.crcMismatch(damage.logPath, at: second.position, size: second.header.size),
        firstOffset: second.header.baseOffset, endOffset: batches[2].header.baseOffset)
    ) { try Batches.append([[damage.newRecord]], to: log) }
    #expect(try damage.fixture.segmentFiles() == before)
  }
}
