import Testing

@testable import KQStorage
import KQLog

@Suite("RecordBatch v2 layout")
struct BatchLayoutTests {
  static let exampleTime: Int64 = 1_700_000_000_000
  /// kafka-format.md §2: the three records of the worked example.
  static let exampleRecords = [
    Record(key: nil, value: Array("hello".utf8), timestamp: exampleTime),
    Record(
      key: Array("k1".utf8), value: Array("v1".utf8), headers: [Header(key: Array("h".utf8), value: Array("x".utf8))],
      timestamp: exampleTime + 100),
    Record(key: [], value: nil, timestamp: exampleTime + 200),
  ]
  static let exampleHex =
    "00000000000000000000005500000000022cadffba0000000000020000018bcfe568000000018bcfe568c8ffffffffff"
    + "ffffffffffffffffff0000000316000000010a68656c6c6f001e00c80102046b3104763102026802780e00900304000100"

  static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
  }

  @Test("header fields sit at Kafka's byte positions and the header is 61 bytes")
  func fieldPositions() {
    #expect(BatchLayout.baseOffset == 0)
    #expect(BatchLayout.batchLength == 8)
    #expect(BatchLayout.partitionLeaderEpoch == 12)
    #expect(BatchLayout.magic == 16)
    #expect(BatchLayout.crc == 17)
    #expect(BatchLayout.attributes == 21)
    #expect(BatchLayout.lastOffsetDelta == 23)
    #expect(BatchLayout.baseTimestamp == 27)
    #expect(BatchLayout.maxTimestamp == 35)
    #expect(BatchLayout.producerId == 43)
    #expect(BatchLayout.producerEpoch == 51)
    #expect(BatchLayout.baseSequence == 53)
    #expect(BatchLayout.recordCount == 57)
    #expect(BatchLayout.headerSize == 61)
    #expect(BatchLayout.logOverhead == 12)
  }

  @Test("the worked example encodes to exactly the bytes kafka-python builds")
  func workedExampleBytes() {
    let bytes = BatchEncoder.encode(Self.exampleRecords)
    #expect(bytes.count == 97)
    #expect(Self.hex(bytes) == Self.exampleHex)
  }

  @Test("the worked example decodes to its header fields, CRC 0x2CADFFBA and its three records")
  func workedExampleDecodes() throws {
    let bytes = BatchEncoder.encode(Self.exampleRecords)
    try bytes.withUnsafeBytes { raw in
      let batch = try RecordBatchView(at: raw.baseAddress!, available: raw.count)
      #expect(batch.size == 97)
      #expect(batch.baseOffset == 0)
      #expect(batch.lastOffset == 2)
      #expect(batch.attributes == 0)
      #expect(batch.baseTimestamp == Self.exampleTime)
      #expect(batch.maxTimestamp == Self.exampleTime + 200)
      #expect(batch.recordCount == 3)
      #expect(batch.storedCRC == 0x2CAD_FFBA)
      #expect(batch.computedCRC == 0x2CAD_FFBA)
      #expect(
        try batch.records() == Self.exampleRecords.enumerated().map { StoredRecord(offset: Int64($0), record: $1) })
    }
    #expect(CRC32C.checksum(Array(bytes[21..<97])) == 0x2CAD_FFBA)
  }

  @Test("a one-record batch with a null key and a 100-byte value is 170 bytes; null key and value, 68")
  func batchSizes() {
    let hundred = [UInt8](repeating: 0x61, count: 100)
    #expect(BatchEncoder.encode([Record(key: nil, value: hundred, timestamp: 5)]).count == 170)
    #expect(BatchEncoder.encode([Record(key: nil, value: nil, timestamp: 5)]).count == 68)
    let size = hundred.withUnsafeBytes { BatchEncoder.batchSize(key: nil, value: $0, headerBytes: 1) }
    #expect(size == 170)
  }

  @Test("a new base offset leaves the CRC valid; a changed maxTimestamp breaks it")
  func crcCoverage() throws {
    var bytes = BatchEncoder.encode(Self.exampleRecords)
    bytes.withUnsafeMutableBytes { $0.baseAddress!.storeBigEndian(Int64(368_769), at: BatchLayout.baseOffset) }
    try bytes.withUnsafeBytes { raw in
      let batch = try RecordBatchView(at: raw.baseAddress!, available: raw.count)
      try batch.validateCRC()
      #expect(try batch.records().map(\.offset) == [368_769, 368_770, 368_771])
    }
    bytes[BatchLayout.maxTimestamp + 7] ^= 1
    let expectedComputed = CRC32C.checksum(Array(bytes[21...]))
    bytes.withUnsafeBytes { raw in
      _ = #expect(throws: BatchDecodeError.crcMismatch(stored: 0x2CAD_FFBA, computed: expectedComputed)) {
        try RecordBatchView(at: raw.baseAddress!, available: raw.count).validateCRC()
      }
    }
  }

  @Test("a batch cut short is reported truncated with the bytes it needs and has")
  func truncatedBatch() {
    let bytes = Array(BatchEncoder.encode(Self.exampleRecords).prefix(90))
    bytes.withUnsafeBytes { raw in
      _ = #expect(throws: BatchDecodeError.truncated(needed: 97, available: 90)) {
        _ = try RecordBatchView(at: raw.baseAddress!, available: raw.count)
      }
    }
  }
}
