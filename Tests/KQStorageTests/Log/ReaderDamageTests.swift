import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Damage that used to be skipped without a word: a lost segment, offsets that do not follow,
/// header fields that made arithmetic trap. Every read names it (file, byte, offsets) instead.
@Suite("readers name damage")
struct ReaderDamageTests {
  /// Offsets 0–14 in segments 0, 5 and 10 (the active one), batches of 1 and 4 records.
  static func makeLog() throws -> PartitionFixture { try SealedCorruptionTests.makeLog() }

  static func expectOffsetGap(_ fixture: PartitionFixture, expected: Int64, found: Int64, from offset: Int64 = 0) {
    #expect(
      throws: StorageError.offsetGap(file: fixture.logPath(base: found), expected: expected, found: found),
      "reading from \(offset)"
    ) { _ = try fixture.readAll(from: offset) }
  }

  @Test("a sealed .log deleted: reads fail with the offsets missing, not skip them")
  func deletedSealedSegment() throws {
    let fixture = try Self.makeLog()
    try FileManager.default.removeItem(atPath: fixture.logPath(base: 5))
    for offset: Int64 in [0, 3] { Self.expectOffsetGap(fixture, expected: 5, found: 10, from: offset) }
  }

  @Test("a sealed .log emptied: reads fail with the offsets missing, not skip them")
  func emptiedSealedSegment() throws {
    let fixture = try Self.makeLog()
    try ByteSurgery.truncate(fixture.logPath(base: 5), to: 0)
    for offset: Int64 in [0, 5, 7] { Self.expectOffsetGap(fixture, expected: 5, found: 10, from: offset) }
  }

  @Test("a segment file named at the largest offset: reads name the gap before it, appends fail naming it")
  func segmentNamedAtLargestOffset() throws {
    let fixture = try Self.makeLog()
    let stray = fixture.logPath(base: Int64.max)
    try ByteSurgery.write([], to: stray)
    Self.expectOffsetGap(fixture, expected: 15, found: Int64.max)
    let log = try fixture.writer()
    #expect(
      throws: StorageError.damagedLog(
        file: stray, position: 0, reason: .offsetOverflow(baseOffset: Int64.max, recordCount: 1),
        firstOffset: Int64.max, endOffset: nil)
    ) { try Batches.append([[Record(value: [1], timestamp: 1)]], to: log) }
    #expect(try ByteSurgery.size(stray) == 0)
  }

  @Test(
    "a flipped baseOffset byte (outside the CRC) fails reads at that batch, in a sealed or the active segment",
    arguments: [(5, 0), (5, 1), (10, 0), (10, 1)] as [(Int64, Int)])
  func flippedBaseOffset(segment: Int64, batch: Int) throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: segment)
    let damaged = try Batches.scan(path)[batch]
    try ByteSurgery.flipByte(path, at: damaged.position + 7)
    let expected = damaged.header.baseOffset
    let error = StorageError.corruptBatch(
      file: path, position: Int64(damaged.position),
      reason: .offsetMismatch(expected: expected, found: expected ^ 0xFF))
    #expect(throws: error) { _ = try fixture.readAll() }
    if segment == 10 {
      // The log end is found by the same checks: describe names the damage, and a consumer's
      // end lies past it, so that it reads up to it and then names it.
      #expect(throws: error) { _ = try LocalLogService(directory: fixture.data).summary(of: fixture.topic, partition: 0) }
      let end = try PartitionReader(folder: fixture.folder(), fileSystem: FileSystem()).bounds().end
      #expect(end == (batch == 0 ? 15 : 12))
    }
  }

  @Test("a baseOffset near Int64.max is named damage by readers, the log end and the writer, never a trap")
  func baseOffsetNearMax() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 10)
    let first = try #require(Batches.scan(path).first)
    try ByteSurgery.overwrite(path, at: first.position, with: ByteSurgery.bigEndian(Int64.max))
    let error = StorageError.corruptBatch(
      file: path, position: 0, reason: .offsetOverflow(baseOffset: Int64.max, recordCount: 1))
    #expect(throws: error) { _ = try fixture.readAll() }
    #expect(try PartitionReader(folder: fixture.folder(), fileSystem: FileSystem()).bounds().end == 15)
    #expect(throws: error) { _ = try LocalLogService(directory: fixture.data).summary(of: fixture.topic, partition: 0) }
    let log = try fixture.writer()
    #expect(
      throws: StorageError.damagedLog(
        file: path, position: 0, reason: .offsetOverflow(baseOffset: Int64.max, recordCount: 1), firstOffset: 10,
        endOffset: 11)
    ) { try Batches.append([[Record(value: [1], timestamp: 1)]], to: log) }
  }

  @Test("a batch whose CRC holds but whose lastOffsetDelta is not recordCount − 1 is named damage, never a trap")
  func inconsistentLastOffsetDelta() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 5)
    let damaged = try Batches.scan(path)[1]
    try ByteSurgery.rewriteBatch(path, batch: damaged.position, at: BatchLayout.lastOffsetDelta, with: ByteSurgery.bigEndian(Int32.max))
    #expect(
      throws: StorageError.corruptBatch(
        file: path, position: Int64(damaged.position), reason: .inconsistentCount(lastOffsetDelta: Int32.max, recordCount: 4))
    ) { _ = try fixture.readAll() }
  }

  @Test("a record whose offsetDelta is not its place in the batch is malformed, though the CRC holds")
  func recordOffsetDelta() throws {
    let fixture = try Self.makeLog()
    let path = fixture.logPath(base: 5)
    let damaged = try Batches.scan(path)[0]
    // The record's length varint, its attributes, timestampDelta 0, then offsetDelta 0: make it 1.
    let bytes = try ByteSurgery.read(path)
    #expect(bytes[damaged.position + 61 + 2 + 1 + 1] == 0)
    try ByteSurgery.rewriteBatch(path, batch: damaged.position, at: 61 + 2 + 1 + 1, with: [2])
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    try reader.seek(to: 5)
    let batch = try #require(try reader.nextBatch())
    #expect(throws: BatchDecodeError.malformedRecord(index: 0)) { _ = try batch.records() }
    #expect(
      reader.damage(.malformedRecord(index: 0))
        == .corruptBatch(file: path, position: Int64(damaged.position), reason: .malformedRecord(index: 0)))
  }

  @Test("an empty topic config, one without partitions=, or one repeating a key is damage, never the defaults")
  func damagedTopicConfig() throws {
    let fixture = try PartitionFixture(config: { var c = TopicConfig(); c.partitions = 3; return c }())
    let path = fixture.data.names.topicConfig(fixture.topic)
    let stored = String(decoding: try ByteSurgery.read(path), as: UTF8.self)
    let withoutPartitions = stored.split(separator: "\n").filter { !$0.hasPrefix("partitions=") }.joined(separator: "\n") + "\n"
    let cases: [(String, String)] = [
      ("", "the file is empty"), (withoutPartitions, "it has no partitions= line"),
      (stored + "partitions=3\n", "partitions appears twice"),
    ]
    for (text, reason) in cases {
      try ByteSurgery.write(Array(text.utf8), to: path)
      #expect(throws: StorageError.corruptFile(file: path, reason: reason)) { _ = try fixture.data.config(of: fixture.topic) }
    }
  }

  @Test("offset files whose names kq never writes are not read as partitions")
  func strayOffsetFiles() throws {
    let fixture = try Self.makeLog()
    let group = try GroupName("g")
    try fixture.data.commit(group: group, topic: fixture.topic, partition: 0, offset: 3)
    let folder = fixture.data.names.groupTopicFolder(group, fixture.topic)
    for name in ["-1.offset", "01.offset", "99999999999999999999.offset", "10000.offset"] {
      try ByteSurgery.write(Array("7\n".utf8), to: folder + "/" + name)
    }
    #expect(try fixture.data.committedOffsets(group: group, topic: fixture.topic) == [0: 3])
  }

  @Test("a damaged .timeindex entry never changes what a timestamp lookup returns", arguments: [31, 32] as [UInt64])
  func damagedTimeIndex(seed: UInt64) throws {
    let (fixture, batches) = try IndexLookupTests.makeLog(seed: seed)
    try IndexLookupTests.requireIndexedSegments(fixture)
    var random = SeededGenerator(seed: seed)
    for base in try fixture.segmentBases() {
      let path = fixture.timeIndexPath(base: base)
      let entries = try ByteSurgery.size(path) / TimeIndex.entrySize
      guard entries > 0 else { continue }
      // The last entry (the segment's largest timestamp) and one more, at a random byte each.
      for entry in Set([entries - 1, Int.random(in: 0..<entries, using: &random)]) {
        try ByteSurgery.flipByte(path, at: entry * TimeIndex.entrySize + Int.random(in: 0..<12, using: &random))
      }
    }
    let records = batches.flatMap(\.records)
    let timestamps = records.map(\.record.timestamp)
    var targets = (0..<300).map { _ in Int64.random(in: (timestamps.min()! - 100)...(timestamps.max()! + 100), using: &random) }
    targets += (0..<100).map { _ in timestamps.randomElement(using: &random)! }
    for target in targets {
      let expected = records.first { $0.record.timestamp >= target }?.offset
      let found = try IndexLookup.offset(forTimestamp: target, folder: fixture.folder(), fileSystem: FileSystem())
      #expect(found == expected, "timestamp \(target)")
    }
  }
}
