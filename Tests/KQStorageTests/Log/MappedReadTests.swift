import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Serialized: two of these tests cut files under mappings, and every mapping fault in the
/// process makes every mapped reader fall back to `pread`.
@Suite("mapped reads", .serialized)
struct MappedReadTests {
  /// A batch as a reader hands it out, copied before the next call.
  struct ReadBatch: Equatable {
    var position: Int64
    var size: Int
    var storedCRC: UInt32
    var records: [StoredRecord]
  }

  enum Stop: Equatable {
    case end, incomplete(Int64), corrupt(Int64)
  }

  struct Segment {
    let path: String
    let size: Int64
    let batches: [ReadBatch]
    func batches(before cut: Int64) -> [ReadBatch] { batches.filter { $0.position + Int64($0.size) <= cut } }
  }

  static let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
  static let window = Int64(SegmentBatchReader.windowSize)

  /// A segment of `target`+ bytes: mostly small batches, every few a large one (up to 400 KiB),
  /// base offsets consecutive.
  static func makeSegment(in directory: TemporaryDirectory, seed: UInt64, target: Int = 7 << 20) throws -> Segment {
    var random = SeededGenerator(seed: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(target + (1 << 19))
    var batches: [ReadBatch] = []
    var offset: Int64 = 0
    while bytes.count < target {
      let large = Int.random(in: 0..<5, using: &random) == 0
      let records = (0..<Int.random(in: 1...(large ? 4 : 30), using: &random)).map { index in
        let length = large ? Int.random(in: 25_000...100_000, using: &random) : Int.random(in: 0...3000, using: &random)
        let value = [UInt8](repeating: UInt8.random(in: 1...255, using: &random), count: length) + random.bytes(count: 8)
        return Record(key: Array("k\(offset + Int64(index))".utf8), value: value, timestamp: 1_700_000_000_000 + offset)
      }
      var batch = BatchEncoder.encode(records)
      batch.withUnsafeMutableBytes { $0.baseAddress!.storeBigEndian(offset, at: BatchLayout.baseOffset) }
      let crc = batch.withUnsafeBytes { $0.baseAddress!.bigEndian(UInt32.self, at: BatchLayout.crc) }
      let stored = records.enumerated().map { StoredRecord(offset: offset + Int64($0), record: $1) }
      batches.append(ReadBatch(position: Int64(bytes.count), size: batch.count, storedCRC: crc, records: stored))
      bytes += batch
      offset += Int64(records.count)
    }
    let path = directory.at("00000000000000000000.log")
    try ByteSurgery.write(bytes, to: path)
    return Segment(path: path, size: Int64(bytes.count), batches: batches)
  }

  /// Runs `body` with a reader of `path` from position 0 that believes the file has `fileSize`
  /// bytes, and the buffer it reads into; the reader is gone before its descriptor is closed.
  static func withReader<R>(
    _ path: String, fileSystem: FileSystem = FileSystem(), fileSize: Int64, mapping: Bool = true,
    _ body: (SegmentBatchReader, ByteBuffer) throws -> R
  ) throws -> R {
    let fd = try fileSystem.open(path, O_RDONLY)
    defer { try? fileSystem.close(fd) }
    func run() throws -> R {
      let buffer = ByteBuffer(capacity: SegmentBatchReader.readSize)
      let reader = SegmentBatchReader(
        fd: fd, path: path, fileSystem: fileSystem, from: 0, expecting: 0, fileSize: fileSize, buffer: buffer,
        mapping: mapping)
      return try body(reader, buffer)
    }
    return try run()
  }

  /// Reads up to `limit` batches or until the reader reports something else. Each batch is
  /// checked (computed CRC, records) and copied before the next call. `fromWindow` counts the
  /// batches whose bytes lay outside the reader's buffer (in a mapped window).
  static func read(
    _ reader: SegmentBatchReader, _ buffer: ByteBuffer, validateCRC: Bool = true, limit: Int = 100_000
  ) throws -> (batches: [ReadBatch], stop: Stop?, fromWindow: Int) {
    var batches: [ReadBatch] = []
    var fromWindow = 0
    while batches.count < limit {
      switch try reader.next(validateCRC: validateCRC) {
      case .batch(let view, let position):
        let start = UnsafeRawPointer(buffer.base)
        if view.base < start || view.base >= start + buffer.capacity { fromWindow += 1 }
        #expect(view.computedCRC == view.storedCRC, "batch at \(position) handed out damaged")
        batches.append(ReadBatch(position: position, size: view.size, storedCRC: view.storedCRC, records: try view.records()))
      case .end: return (batches, .end, fromWindow)
      case .incomplete(let position): return (batches, .incomplete(position), fromWindow)
      case .corrupt(let position, _): return (batches, .corrupt(position), fromWindow)
      }
    }
    return (batches, nil, fromWindow)
  }

  @Test(
    "mapped and pread reads of a multi-window segment give the same batches, then the end",
    arguments: [true, false])
  func mappedMatchesPread(validateCRC: Bool) throws {
    let directory = try TemporaryDirectory()
    let segment = try Self.makeSegment(in: directory, seed: validateCRC ? 1 : 2)
    #expect(segment.size > 3 * Self.window)
    #expect(segment.batches.filter { $0.size > Int(SegmentBatchReader.mapThreshold) }.count > 5)
    let faults = MappingFaults.current
    let mapped = try Self.withReader(segment.path, fileSize: segment.size, mapping: true) {
      try Self.read($0, $1, validateCRC: validateCRC)
    }
    let copied = try Self.withReader(segment.path, fileSize: segment.size, mapping: false) {
      try Self.read($0, $1, validateCRC: validateCRC)
    }
    #expect(mapped.batches == copied.batches)
    #expect(mapped.batches == segment.batches)
    #expect(mapped.stop == .end && copied.stop == .end)
    #expect(copied.fromWindow == 0)
    if MappingFaults.current == faults { #expect(mapped.fromWindow > segment.batches.count / 2) }
  }

  @Test("when mapping fails, from the first window or a later one, the reader reads the rest with pread", arguments: [1, 2, 3])
  func failedMappingFallsBackToPread(failingFrom attempt: Int) throws {
    final class Attempts: @unchecked Sendable { var count = 0 }
    let attempts = Attempts()
    let fileSystem = FileSystem(injecting: { operation, _ in
      guard operation == .map else { return nil }
      attempts.count += 1
      return attempts.count >= attempt ? .fail(Errno(ENOMEM)) : nil
    })
    let directory = try TemporaryDirectory()
    let segment = try Self.makeSegment(in: directory, seed: 3)
    let result = try Self.withReader(segment.path, fileSystem: fileSystem, fileSize: segment.size) { try Self.read($0, $1) }
    #expect(result.batches == segment.batches)
    #expect(result.stop == .end)
    #expect(attempts.count == attempt)
    if attempt == 1 { #expect(result.fromWindow == 0) }
  }

  /// Cuts the file at `path` to `length` bytes through a descriptor of its own.
  static func cut(_ path: String, to length: Int64) {
    let fd = open(path, O_RDWR)
    #expect(fd >= 0)
    #expect(ftruncate(fd, off_t(length)) == 0)
    close(fd)
  }

  @Test(
    "cutting the file under a mapped reader: no crash, every batch handed out intact, then incomplete at the batch the cut splits",
    arguments: [(1 << 20) + 100, (3 << 20) + 5000, 5 << 20])
  func cutUnderMappedWindow(target: Int64) throws {
    let directory = try TemporaryDirectory()
    let segment = try Self.makeSegment(in: directory, seed: 4)
    let cut = (target + Self.page - 1) / Self.page * Self.page
    let largest = Int64(segment.batches.map(\.size).max() ?? 0)
    #expect(cut + SegmentBatchReader.mapThreshold + largest < segment.size, "the reader must reach the cut mapping")
    guard let split = segment.batches.first(where: { $0.position + Int64($0.size) > cut }) else {
      Issue.record("no batch reaches the cut")
      return
    }
    try Self.withReader(segment.path, fileSize: segment.size) { reader, buffer in
      let faults = MappingFaults.current
      let first = try Self.read(reader, buffer, limit: 5)
      if MappingFaults.current == faults { #expect(first.fromWindow == 5, "the first batches come from a window") }
      #expect(reader.position < cut - 4 * Self.page, "the cut lies well past the reader")
      Self.cut(segment.path, to: cut)
      let rest = try Self.read(reader, buffer)
      #expect(first.batches + rest.batches == segment.batches(before: cut))
      #expect(rest.stop == .incomplete(split.position))
      #expect(MappingFaults.current > faults, "the reader or its read-ahead touched a cut page")
      try reader.refreshSize()
      #expect(reader.fileSize == cut)
      let expected: Stop = split.position == cut ? .end : .incomplete(split.position)
      for _ in 0..<2 {
        let again = try Self.read(reader, buffer)
        #expect(again.batches.isEmpty)
        #expect(again.stop == expected)
      }
    }
  }

  @Test("a batch handed out from a window and then cut under the caller makes the next read throw EIO")
  func cutUnderHandedOutBatch() throws {
    let directory = try TemporaryDirectory()
    let segment = try Self.makeSegment(in: directory, seed: 5)
    // A large batch inside the first window, far from the end: the reader's own mapping.
    guard let target = segment.batches.first(where: {
      $0.position >= 1 << 18 && $0.size >= 4 * Int(Self.page) && $0.position + Int64($0.size) <= Self.window
    }) else {
      Issue.record("no large batch in the first window")
      return
    }
    try Self.withReader(segment.path, fileSize: segment.size) { reader, buffer in
      let faults = MappingFaults.current
      let before = try Self.read(reader, buffer, limit: segment.batches.firstIndex { $0.position == target.position } ?? 0)
      #expect(reader.position == target.position)
      guard case .batch(let view, target.position) = try reader.next() else {
        Issue.record("the large batch was not read")
        return
      }
      let start = UnsafeRawPointer(buffer.base)
      guard view.base < start || view.base >= start + buffer.capacity else {
        // Read with pread: only possible after a mapping fault elsewhere in the process.
        #expect(MappingFaults.current != faults, "the reader left its window for no reason")
        return
      }
      #expect(before.fromWindow == before.batches.count || MappingFaults.current != faults)
      // Two pages past the one holding the batch's header: the header stays, pages after are gone.
      let cut = (target.position / Self.page + 2) * Self.page
      #expect(cut < target.position + Int64(target.size))
      Self.cut(segment.path, to: cut)
      let touched = MappingFaults.current
      #expect(view.storedCRC == target.storedCRC)
      #expect(view.computedCRC != target.storedCRC, "the cut pages read as zeros")
      #expect(MappingFaults.current > touched)
      #expect(throws: Errno.io) { try reader.next() }
    }
  }

  @Test("a batch the read-ahead thread checked before the file was cut is not handed out with zero pages in it")
  func readAheadCheckedBeforeCut() throws {
    let directory = try TemporaryDirectory()
    let full = try Self.makeSegment(in: directory, seed: 6, target: 10 << 20)
    let batches = full.batches
    func end(_ batch: ReadBatch) -> Int64 { batch.position + Int64(batch.size) }
    // The reader's windows: the first two it maps itself, the third comes from the read-ahead
    // thread. The file ends where the third window's whole batches end, so the thread goes
    // idle after checking it: no timing involved.
    func windowEnd(from batch: ReadBatch) -> Int64 {
      max(SegmentBatchReader.windowBounds(at: batch.position, fileSize: full.size).end, end(batch))
    }
    guard let second = batches.firstIndex(where: { end($0) > windowEnd(from: batches[0]) }) else {
      Issue.record("one window")
      return
    }
    let secondEnd = windowEnd(from: batches[second])
    guard let third = batches.firstIndex(where: { end($0) > secondEnd }) else {
      Issue.record("two windows")
      return
    }
    let thirdEnd = windowEnd(from: batches[third])
    guard let fourth = batches.firstIndex(where: { end($0) > thirdEnd }) else {
      Issue.record("three windows")
      return
    }
    let fileSize = batches[fourth].position
    Self.cut(full.path, to: fileSize)
    guard let victim = batches[(third + 1)..<fourth].first(where: { $0.size > 3 * Int(Self.page) }) else {
      Issue.record("no large batch in the third window")
      return
    }
    let cut = (victim.position / Self.page + 2) * Self.page
    try Self.withReader(full.path, fileSize: fileSize) { reader, buffer in
      _ = try Self.read(reader, buffer, limit: third + 1)  // through the first batch of the third window
      Self.cut(full.path, to: cut)
      let rest = try Self.read(reader, buffer)  // expects every batch handed out to check
      #expect(rest.batches.allSatisfy { end($0) <= cut })
      #expect(rest.stop == .incomplete(victim.position))
    }
  }
}
