import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

@Suite("batch round trips")
struct BatchRoundTripTests {
  static func randomRecords(_ random: inout SeededGenerator) -> [Record] {
    let count = Int.random(in: 1...40, using: &random)
    let start = Int64.random(in: 0...(1 << 45), using: &random)
    // Spreads from none to days, so timestamp deltas take 1 to 6 varint bytes, some negative.
    let jitter: Int64 = [0, 1, 1000, 100_000_000_000].randomElement(using: &random)!
    return (0..<count).map { _ in random.record(around: start, jitter: jitter) }
  }

  /// Every batch in `bytes`, each decoded with its CRC checked.
  static func decodeAll(_ bytes: [UInt8]) throws -> [(size: Int, records: [StoredRecord])] {
    try bytes.withUnsafeBytes { raw in
      var result: [(size: Int, records: [StoredRecord])] = []
      var position = 0
      while position < raw.count {
        let batch = try RecordBatchView(at: raw.baseAddress! + position, available: raw.count - position)
        try batch.validateCRC()
        result.append((batch.size, try batch.records()))
        position += batch.size
      }
      return result
    }
  }

  @Test(
    "decoding an encoded batch gives back the same records at offsets 0, 1, 2…",
    arguments: 0..<200 as Range<UInt64>)
  func singleBatch(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let records = Self.randomRecords(&random)
    let batches = try Self.decodeAll(BatchEncoder.encode(records))
    #expect(batches.count == 1)
    #expect(batches.first?.records == records.enumerated().map { StoredRecord(offset: Int64($0), record: $1) })
  }

  @Test(
    "a batch header states the records' count, last offset delta and largest timestamp",
    arguments: 0..<50 as Range<UInt64>)
  func headerSummarisesRecords(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let records = Self.randomRecords(&random)
    let bytes = BatchEncoder.encode(records)
    bytes.withUnsafeBytes { raw in
      let header = BatchHeader(at: raw.baseAddress!)
      #expect(header?.size == bytes.count)
      #expect(header?.recordCount == Int32(records.count))
      #expect(header?.lastOffset == Int64(records.count - 1))
      #expect(header?.baseTimestamp == records[0].timestamp)
      #expect(header?.maxTimestamp == records.map(\.timestamp).max())
    }
  }

  @Test(
    "split at a size limit, batches keep every record in order and only a lone record exceeds the limit",
    arguments: 0..<100 as Range<UInt64>)
  func splitBatches(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let records = Self.randomRecords(&random)
    let limit = Int.random(in: 70...1500, using: &random)
    let batches = try Self.decodeAll(BatchEncoder.encode(records, maxBatchBytes: limit))
    #expect(batches.flatMap { $0.records.map(\.record) } == records)
    for batch in batches {
      #expect(batch.size <= limit || batch.records.count == 1, "a \(batch.size)-byte batch over the \(limit) limit")
      #expect(batch.records.map(\.offset) == (0..<Int64(batch.records.count)).map { $0 })
    }
  }

  @Test("an empty key and an empty value stay empty, distinct from null")
  func emptyIsNotNull() throws {
    let records = [
      Record(key: [], value: [], headers: [Header(key: [], value: [])], timestamp: 1),
      Record(key: nil, value: nil, headers: [Header(key: Array("h".utf8), value: nil)], timestamp: 1),
    ]
    let decoded = try Self.decodeAll(BatchEncoder.encode(records))
    #expect(decoded.first?.records.map(\.record) == records)
  }

  @Test("lengths and deltas at the 1- and 2-byte varint boundaries, and past 8,192 records in a batch, decode as written")
  func varintBoundaries() throws {
    let lengths = [0, 1, 63, 64, 65, 8191, 8192, 8193]
    let deltas: [Int64] = [0, 63, 64, -64, -65, 8191, 8192, -8192, -8193, 1 << 40]
    var records: [Record] = []
    for (index, length) in lengths.enumerated() {
      for delta in deltas {
        let value = [UInt8](repeating: UInt8(index), count: length)
        records.append(Record(key: nil, value: value, headers: [], timestamp: 1_000_000 + delta))
        records.append(Record(key: value, value: [7], headers: [], timestamp: 1_000_000 - delta))
        records.append(Record(key: [1, 2], value: nil, headers: [Header(key: [9], value: value)], timestamp: 1_000_000))
      }
    }
    // Offset deltas past 8,191: the first 8,192 records of a batch take at most 2 varint bytes.
    records += (0..<9000).map { Record(key: nil, value: Array(String($0).utf8), headers: [], timestamp: 5) }
    let batches = try Self.decodeAll(BatchEncoder.encode(records))
    #expect(batches.count == 1)
    #expect(batches.first?.records == records.enumerated().map { StoredRecord(offset: Int64($0), record: $1) })
  }
}
