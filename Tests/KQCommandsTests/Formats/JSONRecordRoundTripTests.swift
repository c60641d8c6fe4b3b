import Testing

@testable import KQCommands

/// Deterministic PRNG for the round-trip tests (SplitMix64).
private struct SplitMix64 {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

  /// Null, empty, ASCII with escapes, multi-byte UTF-8, or arbitrary (usually invalid) bytes.
  mutating func bytes() -> [UInt8]? {
    let length = below(5) == 0 ? below(200) : below(12)
    switch below(7) {
    case 0: return nil
    case 1: return []
    case 2:  // characters that need escaping
      let pool: [UInt8] = [0x00, 0x01, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x22, 0x5C, 0x2F, 0x41, 0x7F, 0x20]
      return (0..<length).map { _ in pool[below(pool.count)] }
    case 3:  // valid multi-byte UTF-8
      let pool = ["a", "é", "€", "𝄞", "\u{2028}", "\u{FEFF}", "\u{10FFFF}", "\"", "\\", "\n"]
      return Array((0..<length).map { _ in pool[below(pool.count)] }.joined().utf8)
    case 4:  // valid UTF-8 followed by one bad byte
      return Array("ok".utf8) + [UInt8([0x80, 0xC0, 0xED, 0xF5, 0xFF][below(5)])]
    default:
      return (0..<length).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
  }

  mutating func record() -> JSONRecord {
    var record = JSONRecord(key: bytes(), value: bytes())
    for _ in 0..<below(4) {
      let key = bytes() ?? []
      record.headers.append(JSONHeader(key: key, value: bytes()))
      if below(3) == 0 {  // a repeated name
        record.headers.append(JSONHeader(key: key, value: bytes()))
      }
    }
    if below(2) == 0 { record.partition = below(3) == 0 ? Int(Int32.max) : below(100) }
    if below(2) == 0 { record.timestamp = Int64(bitPattern: next()) }
    if below(2) == 0 { record.offset = below(2) == 0 ? Int64(bitPattern: next()) : Int64(below(1_000)) }
    if below(2) == 0 { record.topic = ["orders", "a.b-c_d", "é\"\\"][below(3)] }
    return record
  }
}

@Suite struct JSONRecordRoundTripTests {
  private func line(_ record: JSONRecord) -> String {
    var out: [UInt8] = []
    record.encode(into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  @Test(arguments: [1, 2, 3, 42, 0xDEAD_BEEF] as [UInt64])
  func randomRecordsRoundTrip(seed: UInt64) throws {
    var random = SplitMix64(state: seed)
    var lines: [UInt8] = []
    var records: [JSONRecord] = []
    for _ in 0..<500 {
      let record = random.record()
      var out: [UInt8] = []
      record.encode(into: &out)
      #expect(out.last == 0x0A)
      #expect(out.dropLast().allSatisfy { $0 != 0x0A && $0 != 0x0D }, "one line only")
      #expect(UTF8Validation.isValid(out), "the line itself is UTF-8")
      let parsed = try JSONRecord.parse(out)
      #expect(parsed == record)
      lines += out
      records.append(record)
    }
    // Lines appended one after another split back into the same records.
    let split = lines.split(separator: 0x0A)
    #expect(split.count == records.count)
    for (text, record) in zip(split, records) {
      #expect(try JSONRecord.parse(Array(text)) == record)
    }
  }

  @Test func everyByteValueRoundTrips() throws {
    let all = (0...255).map { UInt8($0) }
    let ascii = Array(all.prefix(128))
    for value in [all, ascii] {
      let record = JSONRecord(key: value, value: value, headers: [JSONHeader(key: value, value: value)])
      var out: [UInt8] = []
      record.encode(into: &out)
      #expect(try JSONRecord.parse(out) == record)
    }
  }

  @Test func encodesFieldsInOrder() {
    let record = JSONRecord(
      key: Array("k".utf8), value: Array("v\n\"\u{1}é".utf8),
      headers: [JSONHeader(key: Array("h".utf8), value: nil), JSONHeader(key: Array("h".utf8), value: [0xFF])],
      partition: 3, timestamp: -1, topic: "t", offset: 9_223_372_036_854_775_807)
    #expect(
      line(record)
        == #"{"topic":"t","partition":3,"offset":9223372036854775807,"timestamp":-1,"key":"k","value":"v\n\"\u0001é","headers":[["h",null],["h",{"base64":"/w=="}]]}"#
        + "\n")
  }

  @Test func omitsAbsentMetadata() {
    #expect(line(JSONRecord()) == #"{"key":null,"value":null,"headers":[]}"# + "\n")
    #expect(
      line(JSONRecord(key: [], value: [0xC3], timestamp: Int64.min))
        == #"{"timestamp":-9223372036854775808,"key":"","value":{"base64":"ww=="},"headers":[]}"# + "\n")
  }

  @Test func escapesControlCharacters() {
    let value: [UInt8] = [0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x00, 0x1B, 0x1F, 0x7F, 0x22, 0x5C, 0x2F]
    #expect(
      line(JSONRecord(value: value))
        == #"{"key":null,"value":"\b\t\n\f\r\u0000\u001b\u001f"# + "\u{7F}" + #"\"\\/","headers":[]}"#
        + "\n")
  }

  @Test func staticEncodeAppendsToExistingOutput() {
    var out = Array("previous\n".utf8)
    let key: [UInt8] = [0x61]
    let name: [UInt8] = [0x6E]
    key.withUnsafeBytes { keyBytes in
      name.withUnsafeBytes { nameBytes in
        JSONRecord.encode(
          topic: nil, partition: 0, offset: nil, timestamp: nil, key: keyBytes, value: nil,
          headers: [(key: nameBytes, value: keyBytes)], into: &out)
      }
    }
    #expect(
      String(decoding: out, as: UTF8.self)
        == "previous\n" + #"{"partition":0,"key":"a","value":null,"headers":[["n","a"]]}"# + "\n")
  }
}
