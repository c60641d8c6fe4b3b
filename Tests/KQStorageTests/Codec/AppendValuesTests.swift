import CKQValues
import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

@Suite("appendValues")
struct AppendValuesTests {
  /// Random records: null, empty, short and long keys and values (some of 8192+ bytes, so the
  /// record length varint takes 3 bytes), headers, timestamps spread so deltas take 1 to 7 bytes.
  static func randomRecords(_ random: inout SeededGenerator, seed: UInt64) -> [Record] {
    let count = Int.random(in: 1...40, using: &random)
    let start = Int64.random(in: 0...(1 << 45), using: &random)
    let jitter: Int64 = [0, 1, 1000, 100_000_000_000, 1 << 44].randomElement(using: &random)!
    let longest = seed % 3 == 0 ? 10_000 : 300
    var records = (0..<count).map { _ in random.record(around: start, jitter: jitter, longest: longest) }
    if seed % 5 == 0 {  // certainly one long value and one long key
      records[Int.random(in: 0..<count, using: &random)].value = random.bytes(count: 8192 + Int(seed))
      records[Int.random(in: 0..<count, using: &random)].key = random.bytes(count: 8300)
    }
    return records
  }

  /// Every value (empty for null) followed by `terminator`, as the full decoder sees them.
  static func expectedValues(_ batch: RecordBatchView, terminator: UInt8) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try batch.forEachRecord { record in
      if let value = record.value { bytes += value }
      bytes.append(terminator)
      return true
    }
    return bytes
  }

  /// Runs `body` with a view of every batch in `bytes`.
  static func forEachBatch(_ bytes: [UInt8], _ body: (RecordBatchView) throws -> Void) throws {
    try bytes.withUnsafeBytes { raw in
      var position = 0
      while position < raw.count {
        let batch = try RecordBatchView(at: raw.baseAddress! + position, available: raw.count - position)
        try batch.validateCRC()
        try body(batch)
        position += batch.size
      }
    }
  }

  /// Values and terminators of every batch in `bytes`, appended to one buffer; and the counts.
  static func appendAll(_ bytes: [UInt8], terminator: UInt8) throws -> (values: [UInt8], expected: [UInt8], count: Int) {
    let buffer = ByteBuffer(capacity: 64)
    var expected: [UInt8] = []
    var count = 0
    try forEachBatch(bytes) { batch in
      let appended = try batch.appendValues(into: buffer, terminator: terminator)
      #expect(appended == Int(batch.recordCount))
      count += appended
      expected += try expectedValues(batch, terminator: terminator)
    }
    return (buffer.array, expected, count)
  }

  @Test(
    "values and terminators equal what the full decoder reads, for any record shape",
    arguments: 0..<150 as Range<UInt64>, [10, 0] as [UInt8])
  func matchesFullDecoder(seed: UInt64, terminator: UInt8) throws {
    var random = SeededGenerator(seed: seed)
    let records = Self.randomRecords(&random, seed: seed)
    // Every third seed splits the records into several batches appended to one buffer.
    let limit = seed % 3 == 1 ? Int.random(in: 200...2000, using: &random) : Int(Int32.max)
    let result = try Self.appendAll(BatchEncoder.encode(records, maxBatchBytes: limit), terminator: terminator)
    #expect(result.count == records.count)
    #expect(result.values == result.expected)
    #expect(result.values == records.flatMap { ($0.value ?? []) + [terminator] })
  }

  @Test(
    "a batch of over 8,192 records, whose later offset deltas take 3 bytes, gives every value",
    arguments: [0, 100_000_000_000] as [Int64])
  func offsetDeltasOfThreeBytes(jitter: Int64) throws {
    var random = SeededGenerator(seed: UInt64(jitter) &+ 7)
    let records = (0..<8_300).map { index in
      Record(
        key: index % 7 == 0 ? nil : Array("k\(index)".utf8),
        value: index % 11 == 0 ? nil : random.bytes(count: index % 23),
        timestamp: 1_700_000_000_000 + (jitter > 0 ? Int64.random(in: -jitter...jitter, using: &random) : 0))
    }
    let bytes = BatchEncoder.encode(records)
    let result = try Self.appendAll(bytes, terminator: 10)
    #expect(result.count == 8_300)
    #expect(result.values == result.expected)
    #expect(result.values == records.flatMap { ($0.value ?? []) + [10] })
    bytes.withUnsafeBytes { #expect(BatchHeader(at: $0.baseAddress!)?.recordCount == 8_300) }
  }

  @Test("null, empty, one-byte and 8192-byte values each give their bytes and a terminator")
  func edgeValues() throws {
    let long = [UInt8](repeating: 0x41, count: 8192)
    let records = [
      Record(key: nil, value: nil, timestamp: 5), Record(key: [], value: [], timestamp: 5),
      Record(key: long, value: long, timestamp: 5), Record(key: nil, value: [0], timestamp: 5),
    ]
    let result = try Self.appendAll(BatchEncoder.encode(records), terminator: 0)
    #expect(result.count == 4)
    #expect(result.values == [0, 0] + long + [0, 0, 0])
  }

  @Test("bytes already in the buffer stay in front of the appended values, also when it grows")
  func keepsExistingBytes() throws {
    var random = SeededGenerator(seed: 99)
    let records = (0..<30).map { _ in random.record(around: 1000, jitter: 1000, longest: 5000) }
    let bytes = BatchEncoder.encode(records)
    for capacity in [64, 1 << 20] {
      let buffer = ByteBuffer(capacity: capacity)
      let prefix = Array("already here\n".utf8)
      buffer.append(prefix)
      try Self.forEachBatch(bytes) { batch in
        let count = try batch.appendValues(into: buffer, terminator: 10)
        let values = try Self.expectedValues(batch, terminator: 10)
        #expect(count == 30)
        #expect(buffer.array == prefix + values)
      }
    }
  }

  /// A valid batch of `count` records with 2-byte keys and 150-byte values (so 2-byte record
  /// length varints), for the tests to damage.
  static func plainBatch(count: Int) -> [UInt8] {
    BatchEncoder.encode((0..<count).map { Record(key: [1, 2], value: [UInt8](repeating: UInt8($0), count: 150), timestamp: 9) })
  }

  /// Where each record's length varint starts.
  static func recordStarts(_ bytes: [UInt8]) -> [Int] {
    bytes.withUnsafeBytes { raw in
      var starts: [Int] = []
      var position = BatchLayout.headerSize
      while position < raw.count {
        starts.append(position)
        guard let length = VarInt.read(raw.baseAddress!, at: &position, end: raw.count) else { break }
        position += Int(length)
      }
      return starts
    }
  }

  /// appendValues on `bytes` (length and magic checked, no CRC), expecting `error` and no
  /// bytes added to a buffer that holds some already.
  static func expectFailure(_ bytes: [UInt8], available: Int? = nil, _ error: BatchDecodeError) throws {
    try bytes.withUnsafeBytes { raw in
      let batch = try RecordBatchView(at: raw.baseAddress!, available: available ?? raw.count)
      let buffer = ByteBuffer()
      buffer.append([7, 7, 7])
      #expect(throws: error) { try batch.appendValues(into: buffer, terminator: 10) }
      #expect(buffer.count == 3)
    }
  }

  /// A zig-zag varint of exactly 2 bytes.
  static func twoByteVarInt(_ value: Int64) -> [UInt8] {
    let zigZag = VarInt.zigZag(value)
    return [UInt8(zigZag & 0x7f) | 0x80, UInt8(zigZag >> 7)]
  }

  @Test(
    "a record length running past the batch, or negative, is a malformed record, not a read past it",
    arguments: [0, 1, 2], [8000, 600, -3] as [Int64])
  func recordLengthPastBatch(index: Int, length: Int64) throws {
    var bytes = Self.plainBatch(count: 3)
    let start = Self.recordStarts(bytes)[index]
    bytes.replaceSubrange(start..<(start + 2), with: Self.twoByteVarInt(length))
    try Self.expectFailure(bytes, .malformedRecord(index: index))
  }

  /// In a `plainBatch` record: length (2 bytes), attributes, timestamp delta, offset delta,
  /// key length at +5, the 2-byte key, value length (2 bytes) at +8.
  @Test("a key or value length running past its record is a malformed record", arguments: [5, 8])
  func fieldLengthPastRecord(fieldOffset: Int) throws {
    var bytes = Self.plainBatch(count: 3)
    let start = Self.recordStarts(bytes)[1] + fieldOffset
    bytes.replaceSubrange(start..<(start + 2), with: Self.twoByteVarInt(400))
    try Self.expectFailure(bytes, .malformedRecord(index: 1))
  }

  /// Zig-zag odd values are negative: -1 is a null value, anything below is damage.
  @Test("a value or record length below -1 is a malformed record", arguments: [0, 8], [-2, -3, -64] as [Int64])
  func negativeLength(fieldOffset: Int, length: Int64) throws {
    var bytes = Self.plainBatch(count: 3)
    let start = Self.recordStarts(bytes)[1] + fieldOffset
    bytes.replaceSubrange(start..<(start + 2), with: Self.twoByteVarInt(length))
    try Self.expectFailure(bytes, .malformedRecord(index: 1))
  }

  /// The key length is read zig-zag encoded too: odd and not -1 (the byte 0x01) is damage.
  @Test("a key length below -1 is a malformed record", arguments: [-2, -3, -64] as [Int64])
  func negativeKeyLength(length: Int64) throws {
    var bytes = Self.plainBatch(count: 3)
    bytes[Self.recordStarts(bytes)[1] + 5] = UInt8(VarInt.zigZag(length))  // one byte, as the 2-byte key's
    try Self.expectFailure(bytes, .malformedRecord(index: 1))
  }

  @Test("more records announced than the batch holds is a malformed record at the first missing one")
  func recordCountTooHigh() throws {
    var bytes = Self.plainBatch(count: 3)
    bytes.withUnsafeMutableBytes { $0.baseAddress!.storeBigEndian(Int32(4), at: BatchLayout.recordCount) }
    try Self.expectFailure(bytes, .malformedRecord(index: 3))
  }

  @Test(
    "a negative record count, or one the batch has no room for, is malformed before any record is read",
    arguments: [-1, Int(Int32.min), Int(Int32.max), nil] as [Int?])
  func impossibleRecordCount(count: Int?) throws {
    var bytes = Self.plainBatch(count: 3)
    let room = (bytes.count - BatchLayout.headerSize) / 7  // records of at least 7 bytes
    let announced = Int32(count ?? room + 1)
    bytes.withUnsafeMutableBytes { $0.baseAddress!.storeBigEndian(announced, at: BatchLayout.recordCount) }
    let firstMissing = announced < 0 ? 0 : room
    try Self.expectFailure(bytes, .malformedRecord(index: firstMissing))
    try bytes.withUnsafeBytes { raw in
      let batch = try RecordBatchView(at: raw.baseAddress!, available: raw.count)
      #expect(throws: BatchDecodeError.malformedRecord(index: firstMissing)) { try batch.forEachRecord { _ in true } }
    }
  }

  @Test("a batch length that cuts the last record short is a malformed record", arguments: [1, 20, 150])
  func batchCutInLastRecord(cut: Int) throws {
    var bytes = Self.plainBatch(count: 3)
    let size = bytes.count - cut
    bytes.withUnsafeMutableBytes {
      $0.baseAddress!.storeBigEndian(Int32(size - BatchLayout.logOverhead), at: BatchLayout.batchLength)
    }
    try Self.expectFailure(bytes, available: size, .malformedRecord(index: 2))
  }
  /// `bytes` copied so that they end where a page no access is allowed to begins: a load past
  /// their end faults.
  static func withGuardedCopy<T>(of bytes: [UInt8], _ body: (UnsafePointer<UInt8>) throws -> T) throws -> T {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let pages = (bytes.count + page - 1) / page + 1
    let mapped = try #require(mmap(nil, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    try #require(mapped != MAP_FAILED)
    defer { munmap(mapped, pages * page) }
    try #require(mprotect(mapped + (pages - 1) * page, page, PROT_NONE) == 0)
    let start = mapped + (pages - 1) * page - bytes.count
    bytes.withUnsafeBytes { _ = memcpy(start, $0.baseAddress!, bytes.count) }
    return try body(start.assumingMemoryBound(to: UInt8.self))
  }

  @Test(
    "the C loop with SSE2 and with AVX2 moves copies the same values and stops at the same record, on intact and on mangled batches, without reading past them",
    arguments: 0..<120 as Range<UInt64>)
  func bothMoveWidthsAgree(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let records = Self.randomRecords(&random, seed: seed)
    var bytes = BatchEncoder.encode(records)
    let intact = seed % 2 == 0
    if !intact {  // a few bytes of the records changed: lengths, varints, values
      for _ in 0..<Int.random(in: 1...4, using: &random) {
        bytes[Int.random(in: BatchLayout.headerSize..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
      }
      if seed % 4 == 1 { bytes.removeLast(Int.random(in: 1...min(40, bytes.count - BatchLayout.headerSize), using: &random)) }
    }
    let outputs = try Self.withGuardedCopy(of: bytes) { base in
      [kq_append_values_sse2, kq_append_values].map { variant -> (position: Int, index: Int, values: [UInt8]) in
        var out = [UInt8](repeating: 0xee, count: bytes.count + records.count)
        return out.withUnsafeMutableBufferPointer { buffer in
          var cursor = kq_values_cursor(position: BatchLayout.headerSize, index: 0, out: buffer.baseAddress!)
          variant(base, bytes.count, records.count, 10, &cursor)
          return (cursor.position, cursor.index, Array(buffer[0..<(cursor.out - buffer.baseAddress!)]))
        }
      }
    }
    #expect(outputs[0].position == outputs[1].position && outputs[0].index == outputs[1].index)
    #expect(outputs[0].values == outputs[1].values)
    if intact {
      // Up to the first record of another shape, the values the records hold.
      let index = outputs[0].index
      #expect(outputs[0].values == records[0..<index].flatMap { ($0.value ?? []) + [10] })
    }
  }

  @Test("the C loop copies every record of a batch of plain lines, with either move width")
  func plainLinesAllInC() throws {
    let records = (0..<2_000).map { Record(key: nil, value: Array(String(format: "%099d", $0).utf8), timestamp: 1_700_000_000_000) }
    let bytes = BatchEncoder.encode(records)
    try Self.withGuardedCopy(of: bytes) { base in
      for variant in [kq_append_values_sse2, kq_append_values] {
        var out = [UInt8](repeating: 0, count: bytes.count + records.count)
        out.withUnsafeMutableBufferPointer { buffer in
          var cursor = kq_values_cursor(position: BatchLayout.headerSize, index: 0, out: buffer.baseAddress!)
          variant(base, bytes.count, records.count, 10, &cursor)
          #expect(cursor.index == records.count && cursor.position == bytes.count)
          #expect(Array(buffer[0..<(cursor.out - buffer.baseAddress!)]) == records.flatMap { $0.value! + [10] })
        }
      }
    }
  }
}
