import Foundation
import KQTestSupport
import Testing

@testable import KQStorage

/// The last batch of the active segment cut short or overwritten, as a crash or a bad disk
/// leaves it: a new writer drops exactly that batch, says so, and appends where it began.
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
    "a last batch whose tail is overwritten with garbage is dropped exactly",
    arguments: Layout.allCases)
  func garbageTail(layout: Layout) throws {
    let damage = try Case(layout)
    var random = SeededGenerator(seed: 99)
    let size = damage.lastSize
    for garbage in [1, 4, 40, size - BatchLayout.headerSize, size - BatchLayout.logOverhead, size] {
      for _ in 0..<8 {
        try damage.restore()
        try ByteSurgery.overwrite(
          damage.logPath, at: damage.lastPosition + size - garbage, with: random.bytes(count: garbage))
        try damage.expectRecovery(
          removing: size, indexesRebuilt: layout == .lastBatchIndexed, "last \(garbage) bytes overwritten")
      }
    }
  }
}

extension TornTailTests {
  @Test("after a reboot (another boot ID in kq.lock) every batch of the active segment is checked, not just the tail")
  func rebootChecksWholeSegment() throws {
    let damage = try Case(.lastBatchAfterIndexEntry)
    try damage.restore()
    let second = try #require(Batches.scan(damage.logPath).dropFirst().first)
    let size = try ByteSurgery.size(damage.logPath)
    try ByteSurgery.flipByte(damage.logPath, at: second.position + 100)
    try ByteSurgery.write(
      Array("kq-lock 1 an-earlier-boot 0\n".utf8), to: FileNames.lockFile(in: damage.fixture.folder()))
    let log = try damage.fixture.writer()
    #expect(
      try Batches.append([[damage.newRecord]], to: log) == .init(firstOffset: second.header.baseOffset, recordCount: 1))
    #expect(
      log.recoveryReports == [
        RecoveryReport(
          file: damage.logPath, truncatedAt: Int64(second.position), bytesRemoved: Int64(size - second.position),
          indexesRebuilt: true)
      ])
    #expect(try damage.fixture.readAll().map(\.offset) == [0, 1, 2, 3])
  }
}
