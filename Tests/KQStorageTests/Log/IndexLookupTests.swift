import KQCompression
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Offset and timestamp lookups through the sparse indexes, checked against a scan of every
/// record, on a log of a few thousand records over several segments.
@Suite("index lookups against brute force")
struct IndexLookupTests {
  struct Batch {
    var maxTimestamp: Int64
    var records: [StoredRecord]
  }

  /// Writes ~4000 records in batches of 1–20 records, 1–3 batches per append, two writers
  /// taking turns, over 32 KiB segments. Timestamps rise on average but one batch in five
  /// steps back by up to 3 s, so the time index and batch maxima matter.
  static func makeLog(seed: UInt64, codec: CompressionCodec = .none) throws -> (PartitionFixture, [Batch]) {
    var config = TopicConfig()
    config.segmentBytes = 32 * 1024
    config.retentionMillis = -1
    let fixture = try PartitionFixture(config: config)
    let writers = [try fixture.writer(), try fixture.writer()]
    var random = SeededGenerator(seed: seed)
    var time: Int64 = 1_700_000_000_000
    var written = 0
    var turn = 0
    while written < 4000 {
      var runs: [[Record]] = []
      for _ in 0..<Int.random(in: 1...3, using: &random) {
        let stepsBack = Int.random(in: 0..<5, using: &random) == 0
        let start = stepsBack ? time - Int64.random(in: 1...3000, using: &random) : time
        runs.append(
          (0..<Int.random(in: 1...20, using: &random)).map { index in
            time += Int64.random(in: 0...40, using: &random)
            return random.record(around: start + Int64(index) * 7, jitter: 5, longest: 200)
          })
      }
      try Batches.append(runs, to: writers[turn % 2], codec: codec)
      written += runs.reduce(0) { $0 + $1.count }
      turn += 1
    }
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    try reader.seek(to: 0)
    var batches: [Batch] = []
    while let view = try reader.nextBatch() {
      batches.append(Batch(maxTimestamp: view.maxTimestamp, records: try view.records()))
    }
    return (fixture, batches)
  }

  /// The log must span several segments with index entries, or the lookups test little.
  static func requireIndexedSegments(_ fixture: PartitionFixture) throws {
    let bases = try fixture.segmentBases()
    try #require(bases.count >= 5, "only \(bases.count) segments")
    let entries = try bases.reduce(0) { $0 + (try ByteSurgery.size(fixture.indexPath(base: $1))) / 8 }
    try #require(entries >= 20, "only \(entries) offset index entries")
  }

  /// Many batches must be stored with the codec (the records are mostly random bytes, and a
  /// batch the codec would not shrink is stored plain).
  static func requireCompressedBatches(_ fixture: PartitionFixture, codec: CompressionCodec) throws {
    let headers = try fixture.segmentBases().flatMap { try Batches.scan(fixture.logPath(base: $0)).map(\.header) }
    let compressed = headers.filter { $0.codecBits == codec.rawValue }.count
    try #require(compressed * 10 >= headers.count, "\(compressed) of \(headers.count) batches use \(codec)")
  }

  @Test(
    "seeking to an offset then reading gives the first record at or after it, for 2000 random offsets",
    arguments: CompressionCodec.allCases)
  func seekMatchesScan(codec: CompressionCodec) throws {
    let (fixture, batches) = try Self.makeLog(seed: 11, codec: codec)
    if codec != .none { try Self.requireCompressedBatches(fixture, codec: codec) }
    try Self.requireIndexedSegments(fixture)
    let records = batches.flatMap(\.records)
    #expect(records.map(\.offset) == (0..<Int64(records.count)).map { $0 })
    let end = Int64(records.count)
    var random = SeededGenerator(seed: 12)
    var targets = (0..<2000).map { _ in Int64.random(in: 0...end, using: &random) }
    targets += try fixture.segmentBases().flatMap { [$0, max(0, $0 - 1)] } + [0, end - 1, end]
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    for target in targets {
      try reader.seek(to: target)
      let batch = try reader.nextBatch()
      let found = try batch?.records().first { $0.offset >= target }
      let expected = records.first { $0.offset >= target }
      #expect(found == expected, "seek to \(target)")
    }
  }

  @Test(
    "a timestamp lookup returns, in the first batch whose maxTimestamp reaches it, the first record that does",
    arguments: CompressionCodec.allCases)
  func timestampMatchesScan(codec: CompressionCodec) throws {
    let (fixture, batches) = try Self.makeLog(seed: 21, codec: codec)
    if codec != .none { try Self.requireCompressedBatches(fixture, codec: codec) }
    try Self.requireIndexedSegments(fixture)
    let timestamps = batches.flatMap { $0.records.map(\.record.timestamp) }
    var random = SeededGenerator(seed: 22)
    var targets = (0..<1000).map { _ in
      Int64.random(in: (timestamps.min()! - 100)...(timestamps.max()! + 100), using: &random)
    }
    targets += (0..<200).map { _ in timestamps.randomElement(using: &random)! }  // exact hits
    targets += [Int64.min, timestamps.min()!, timestamps.max()!, timestamps.max()! + 1]
    for target in targets {
      // kafka-format.md §3.2, read literally over every batch in offset order.
      let expected = batches.first { $0.maxTimestamp >= target }?.records.first { $0.record.timestamp >= target }
      // The same answer stated per record: nothing before it reaches the target.
      #expect(expected?.offset == batches.flatMap(\.records).first { $0.record.timestamp >= target }?.offset)
      let found = try IndexLookup.offset(forTimestamp: target, folder: fixture.folder(), fileSystem: FileSystem())
      #expect(found == expected?.offset, "timestamp \(target)")
    }
  }
}
