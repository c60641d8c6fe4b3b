import CKQCRC32C

@testable import KQKafka

/// A record as the tests write and read it.
struct TestRecord: Equatable {
  var key: [UInt8]?
  var value: [UInt8]?
  var timestamp: Int64
  var headers: [(String, [UInt8]?)] = []

  init(key: String?, value: String?, timestamp: Int64, headers: [(String, [UInt8]?)] = []) {
    self.key = key.map { Array($0.utf8) }
    self.value = value.map { Array($0.utf8) }
    self.timestamp = timestamp
    self.headers = headers
  }

  init(keyBytes: [UInt8]?, valueBytes: [UInt8]?, timestamp: Int64, headers: [(String, [UInt8]?)]) {
    key = keyBytes
    value = valueBytes
    self.timestamp = timestamp
    self.headers = headers
  }

  static func == (a: TestRecord, b: TestRecord) -> Bool {
    a.key == b.key && a.value == b.value && a.timestamp == b.timestamp
      && a.headers.elementsEqual(b.headers) { $0.0 == $1.0 && $0.1 == $1.1 }
  }
}

/// A minimal RecordBatch v2 encoder and decoder for the tests (kafka-format.md, sections 1-2),
/// independent of KQStorage's codec: no compression, CreateTime, producer fields -1.
enum TestBatch {
  static func encode(_ records: [TestRecord], baseOffset: Int64 = 0, leaderEpoch: Int32 = 0) -> [UInt8] {
    let baseTimestamp = records.first?.timestamp ?? 0
    var body: [UInt8] = []
    for (delta, record) in records.enumerated() {
      var fields: [UInt8] = [0]
      varint(record.timestamp - baseTimestamp, into: &fields)
      varint(Int64(delta), into: &fields)
      bytes(record.key, into: &fields)
      bytes(record.value, into: &fields)
      varint(Int64(record.headers.count), into: &fields)
      for (key, value) in record.headers {
        bytes(Array(key.utf8), into: &fields)
        bytes(value, into: &fields)
      }
      varint(Int64(fields.count), into: &body)
      body += fields
    }
    var batch: [UInt8] = []
    int(baseOffset, 8, into: &batch)
    int(Int64(49 + body.count), 4, into: &batch)
    int(Int64(leaderEpoch), 4, into: &batch)
    batch.append(2)
    int(0, 4, into: &batch)  // crc, below
    int(0, 2, into: &batch)  // attributes
    int(Int64(records.count - 1), 4, into: &batch)
    int(baseTimestamp, 8, into: &batch)
    int(records.map(\.timestamp).max() ?? baseTimestamp, 8, into: &batch)
    int(-1, 8, into: &batch)
    int(-1, 2, into: &batch)
    int(-1, 4, into: &batch)
    int(Int64(records.count), 4, into: &batch)
    batch += body
    let crc = batch.withUnsafeBytes { kq_crc32c(0, $0.baseAddress! + 21, $0.count - 21) }
    for i in 0..<4 { batch[17 + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
    return batch
  }

  /// The records of every batch in `bytes`, with their offsets; checks each CRC.
  static func decode(_ bytes: [UInt8]) throws -> [(offset: Int64, record: TestRecord)] {
    var records: [(Int64, TestRecord)] = []
    var position = 0
    while position + 61 <= bytes.count {
      let baseOffset = read(bytes, position, 8)
      let length = Int(read(bytes, position + 8, 4))
      let end = position + 12 + length
      guard end <= bytes.count else { throw Failure.truncated }
      let stored = UInt32(truncatingIfNeeded: read(bytes, position + 17, 4))
      let crc = bytes.withUnsafeBytes { kq_crc32c(0, $0.baseAddress! + position + 21, end - position - 21) }
      guard crc == stored else { throw Failure.crc }
      let attributes = read(bytes, position + 21, 2)
      let baseTimestamp = read(bytes, position + 27, 8)
      let count = Int(read(bytes, position + 57, 4))
      var p = position + 61
      for _ in 0..<count {
        _ = readVarint(bytes, &p)  // length
        p += 1  // attributes
        let timestampDelta = readVarint(bytes, &p)
        let offsetDelta = readVarint(bytes, &p)
        let key = readBytes(bytes, &p)
        let value = readBytes(bytes, &p)
        var headers: [(String, [UInt8]?)] = []
        for _ in 0..<readVarint(bytes, &p) {
          let headerKey = String(decoding: readBytes(bytes, &p) ?? [], as: UTF8.self)
          headers.append((headerKey, readBytes(bytes, &p)))
        }
        if attributes & 0x20 == 0 {
          records.append(
            (baseOffset + offsetDelta,
             TestRecord(keyBytes: key, valueBytes: value, timestamp: baseTimestamp + timestampDelta, headers: headers)))
        }
      }
      position = end
    }
    return records
  }

  enum Failure: Error { case truncated, crc }

  private static func int(_ value: Int64, _ size: Int, into bytes: inout [UInt8]) {
    for i in (0..<size).reversed() { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * Int64(i)))) }
  }

  private static func read(_ bytes: [UInt8], _ position: Int, _ size: Int) -> Int64 {
    var value: Int64 = 0
    for i in 0..<size { value = value << 8 | Int64(bytes[position + i]) }
    let shift = Int64(64 - 8 * size)
    return (value << shift) >> shift  // sign-extend
  }

  private static func varint(_ value: Int64, into bytes: inout [UInt8]) {
    var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  private static func bytes(_ data: [UInt8]?, into bytes: inout [UInt8]) {
    guard let data else { return varint(-1, into: &bytes) }
    varint(Int64(data.count), into: &bytes)
    bytes += data
  }

  private static func readVarint(_ bytes: [UInt8], _ p: inout Int) -> Int64 {
    var v: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let byte = bytes[p]
      p += 1
      v |= UInt64(byte & 0x7f) << shift
      if byte < 0x80 { break }
      shift += 7
    }
    return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
  }

  private static func readBytes(_ bytes: [UInt8], _ p: inout Int) -> [UInt8]? {
    let length = readVarint(bytes, &p)
    guard length >= 0 else { return nil }
    defer { p += Int(length) }
    return Array(bytes[p..<p + Int(length)])
  }
}
