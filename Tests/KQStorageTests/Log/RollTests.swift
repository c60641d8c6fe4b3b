import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

@Suite("segment roll")
struct RollTests {
  static let start: Int64 = 1_700_000_000_000

  @Test(
    "a segment rolls before a batch would take it past segment.bytes, so only a lone record exceeds it",
    arguments: 0..<4 as Range<UInt64>)
  func rollAtSegmentBytes(seed: UInt64) throws {
    var config = TopicConfig()
    config.segmentBytes = 1024
    let fixture = try PartitionFixture(config: config)
    let log = try fixture.writer()
    var random = SeededGenerator(seed: seed)
    var written: [Record] = []
    for _ in 0..<60 {
      let records = (0..<Int.random(in: 1...12, using: &random)).map { _ in
        // One record in twenty is larger than a whole segment.
        let size = Int.random(in: 0..<20, using: &random) == 0 ? 1500 : Int.random(in: 0...200, using: &random)
        return Record(key: nil, value: random.bytes(count: size), timestamp: Self.start)
      }
      try Batches.append(records: records, to: log, maxBatchBytes: config.maxBatchBytes)
      written += records
    }
    #expect(try fixture.readAll().map(\.record) == written)
    let bases = try fixture.segmentBases()
    try #require(bases.count > 10)
    var previousSize: Int?
    for base in bases {
      let batches = try Batches.scan(fixture.logPath(base: base))
      let size = try ByteSurgery.size(fixture.logPath(base: base))
      #expect(batches.reduce(0) { $0 + $1.header.size } == size, "segment \(base) holds whole batches only")
      #expect(batches.first?.header.baseOffset == base)
      let loneRecord = batches.count == 1 && batches[0].header.recordCount == 1
      #expect(size <= 1024 || loneRecord, "segment \(base) is \(size) bytes")
      for batch in batches {
        #expect(batch.header.size <= 1024 || batch.header.recordCount == 1, "batch at \(base)+\(batch.position)")
      }
      // It rolled only because the next batch would not fit.
      if let previousSize, let first = batches.first { #expect(previousSize + first.header.size > 1024) }
      previousSize = size
    }
  }

  @Test("a segment rolls when a batch's maxTimestamp is more than segment.ms after its first batch's")
  func rollAtSegmentMillis() throws {
    var config = TopicConfig()
    config.segmentMillis = 1000
    let fixture = try PartitionFixture(config: config)
    let log = try fixture.writer()
    // Offsets 0…6; each is one batch. +1000 is not past the limit, +1001 is; an older
    // timestamp never rolls; the new segment counts from its own first batch (+1001).
    for delta: Int64 in [0, 500, 1000, 1001, 1500, 100, 2002, 2003] {
      try Batches.append([[Record(value: [1], timestamp: Self.start + delta)]], to: log)
    }
    #expect(try fixture.segmentBases() == [0, 3, 6])
    #expect(try fixture.readAll().map(\.offset) == Array(0...7))
  }

  @Test("a rolled segment gets a final time-index entry for its largest timestamp")
  func sealedSegmentTimeIndex() throws {
    var config = TopicConfig()
    config.segmentMillis = 1000
    let fixture = try PartitionFixture(config: config)
    let log = try fixture.writer()
    for delta: Int64 in [0, 700, 300, 5000] {
      try Batches.append([[Record(value: [1], timestamp: Self.start + delta)]], to: log)
    }
    // Segment 0 holds offsets 0–2; its largest timestamp (+700) is carried by offset 1.
    var expected: [UInt8] = []
    withUnsafeBytes(of: (Self.start + 700).bigEndian) { expected += $0 }
    withUnsafeBytes(of: Int32(1).bigEndian) { expected += $0 }
    #expect(try ByteSurgery.read(fixture.timeIndexPath(base: 0)) == expected)
    #expect(try ByteSurgery.read(fixture.indexPath(base: 0)) == [])
    #expect(try fixture.segmentBases() == [0, 3])
  }

  @Test("offset index entries follow Kafka's rule: the batch's last offset, once more than 4096 bytes went by")
  func offsetIndexEntries() throws {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    // Each batch: 3 records of 1000-byte values → 3 × 1009 + 61 = 3088 bytes.
    let run = (0..<3).map { _ in Record(value: [UInt8](repeating: 7, count: 1000), timestamp: Self.start) }
    for _ in 0..<5 { try Batches.append([run], to: log) }
    // Before batch 2 (at 6176 bytes) 6176 > 4096: entry (offset 8, byte 6176); then 3088,
    // then 6176 again before batch 4: entry (offset 14, byte 12352).
    #expect(
      try ByteSurgery.read(fixture.indexPath(base: 0)) == [0, 0, 0, 8, 0, 0, 0x18, 0x20, 0, 0, 0, 14, 0, 0, 0x30, 0x40])
  }
}
