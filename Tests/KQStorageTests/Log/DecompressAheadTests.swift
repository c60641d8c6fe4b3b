import KQCompression
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// A `PartitionReader` decodes the compressed batch after the one it hands out on a thread of
/// its own (`DecompressAhead`), from the second compressed batch on: what it hands out, where
/// it stops and what it throws are those of a reader decoding each batch when it reaches it.
@Suite("compressed batches decoded ahead")
struct DecompressAheadTests {
  static let start: Int64 = 1_700_000_000_000

  static func lines(_ count: Int, from first: Int) -> [Record] {
    (first..<(first + count)).map { i in
      Record(key: nil, value: Array("2026-12-05T00:00:00Z INFO request \(i) served in \(i % 97) ms".utf8), timestamp: start + Int64(i))
    }
  }

  /// 40 batches of 50 records (offsets 0-1999), their codecs in turn lz4, lz4, none, lz4,
  /// gzip: more than a mapped window's threshold, so both the mapped and the `pread` reads run.
  static let codecs: [CompressionCodec] = [.lz4, .lz4, .none, .lz4, .gzip]

  static func fixture() throws -> (PartitionFixture, [StoredRecord]) {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    var expected: [StoredRecord] = []
    for index in 0..<40 {
      let run = lines(50, from: index * 50)
      try Batches.append([run], to: log, codec: codecs[index % codecs.count])
      expected += run.enumerated().map { StoredRecord(offset: Int64(index * 50 + $0.offset), record: $0.element) }
    }
    log.close()
    return (fixture, expected)
  }

  @Test("a topic mixing compressed and plain batches reads back every record, from any offset, inside a batch too")
  func mixedBatches() throws {
    let (fixture, expected) = try Self.fixture()
    #expect(try Batches.scan(fixture.logPath(base: 0)).map(\.header.codecBits).prefix(5) == [3, 3, 0, 3, 1])
    for from in [0, 1, 49, 50, 73, 149, 777, 1234, 1999] as [Int64] {
      #expect(try fixture.readAll(from: from) == Array(expected.dropFirst(Int(from))), "from \(from)")
    }
  }

  @Test("one batch read starts no thread; a compressed batch after the second starts one, and a seek inside a batch after that reads on exactly")
  func threadFromTheSecondBatch() throws {
    let (fixture, expected) = try Self.fixture()
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    let first = try #require(try reader.nextBatch())
    #expect(try first.records() == Array(expected[0..<50]))
    #expect(!reader.hasDecodingThread)
    // The second (lz4) is decoded alone, and the batch after it read with it is plain.
    #expect(try reader.nextBatch()?.records() == Array(expected[50..<100]))
    #expect(try reader.nextBatch()?.records() == Array(expected[100..<150]))
    #expect(!reader.hasDecodingThread)
    // The fourth (lz4) is read with the fifth (gzip), which a thread decodes meanwhile, when a
    // consumer that stopped inside the fourth moves back to its record 163.
    #expect(try reader.nextBatch()?.records() == Array(expected[150..<200]))
    #expect(reader.hasDecodingThread)
    try reader.rewind(to: 163)
    var read: [StoredRecord] = []
    while let batch = try reader.nextBatch() { read += try batch.records().filter { $0.offset >= 163 } }
    #expect(read == Array(expected.dropFirst(163)))
  }

  @Test("a compressed batch that does not decode, met while decoded ahead, throws at its own place after every record before it")
  func damageDecodedAhead() throws {
    let (fixture, expected) = try Self.fixture()
    let path = fixture.logPath(base: 0)
    let damaged = try #require(try Batches.scan(path).dropFirst(8).first)  // offsets 400-449, lz4
    #expect(damaged.header.codecBits == 3)
    let middle = BatchLayout.headerSize + (damaged.header.size - BatchLayout.headerSize) / 2
    try ByteSurgery.rewriteBatch(path, batch: Int(damaged.position), at: middle, with: [UInt8](repeating: 0xff, count: 24))
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    var read: [StoredRecord] = []
    var failure: StorageError?
    do {
      while let batch = try reader.nextBatch() { read += try batch.records() }
    } catch {
      failure = error as? StorageError
    }
    #expect(reader.hasDecodingThread)
    #expect(read == Array(expected[0..<400]))
    guard case .corruptBatch(let file, let position, .undecodableRecords(let offset, _)) = failure else {
      Issue.record("\(String(describing: failure))")
      return
    }
    #expect(file == path && position == Int64(damaged.position) && offset == 400)
  }

  @Test("batches handed to the thread come back decoded in the order handed over, whichever thread decoded each, damage included")
  func resultsInOrder() throws {
    let runs = (0..<12).map { Self.lines(40, from: $0 * 40) }
    var bytes = Batches.encode(runs, codec: .lz4)
    try bytes.withUnsafeMutableBytes { raw in
      let base = try #require(raw.baseAddress)
      var views: [RecordBatchView] = []
      var position = 0
      while position < raw.count {
        let size = try #require(RecordBatchView.announcedSize(at: base + position, available: raw.count - position))
        views.append(RecordBatchView(unchecked: base + position, size: size))
        position += size
      }
      #expect(views.count == 12 && views.allSatisfy { $0.compressionCodec == 3 })
      // The fifth batch's compressed records overwritten: it alone does not decode.
      let fifth = views[4].base - UnsafeRawPointer(base)
      (base + fifth + BatchLayout.headerSize + 8).storeBytes(of: UInt64.max, toByteOffset: 0, as: UInt64.self)
      let decoder = DecompressAhead()
      defer { decoder.stop() }
      let buffers = (0..<12).map { _ in ByteBuffer(capacity: 0) }
      for round in 0..<20 {
        for (view, buffer) in zip(views, buffers) {
          #expect(decoder.submit(view, into: buffer, maxMessageBytes: 1 << 20))
        }
        for index in 0..<12 {
          switch decoder.wait() {
          case .success(let decoded):
            #expect(index != 4, "round \(round)")
            #expect(try decoded.records().map(\.record) == runs[index], "round \(round) batch \(index)")
          case .failure(let error):
            guard case .undecodableRecords = error else {
              Issue.record("round \(round) batch \(index): \(error)")
              continue
            }
            #expect(index == 4, "round \(round): \(error)")
          }
        }
      }
      #expect(decoder.isRunning)
    }
  }
}
