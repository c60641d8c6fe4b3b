import Testing

@testable import KQCommands

@Suite struct JSONRecordTests {
  private func parse(_ line: String) throws(JSONRecordError) -> JSONRecord {
    try JSONRecord.parse(Array(line.utf8))
  }

  private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  @Test func parsesAFullRecord() throws {
    let record = try parse(
      #" {"key":"k","value":"v","headers":[["a","1"],["a",null],["b","2"]],"partition":3,"timestamp":1700000000000,"topic":"t","offset":42} "#
        + "\r")
    #expect(
      record
        == JSONRecord(
          key: bytes("k"), value: bytes("v"),
          headers: [
            JSONHeader(key: bytes("a"), value: bytes("1")), JSONHeader(key: bytes("a"), value: nil),
            JSONHeader(key: bytes("b"), value: bytes("2")),
          ],
          partition: 3, timestamp: 1_700_000_000_000, topic: "t", offset: 42))
  }

  @Test func missingFieldsAreNull() throws {
    #expect(try parse("{}") == JSONRecord())
    #expect(try parse(" { } ") == JSONRecord())
    #expect(try parse(#"{"value":"x"}"#) == JSONRecord(value: bytes("x")))
    #expect(
      try parse(#"{"key":null,"value":null,"headers":null,"partition":null,"timestamp":null,"topic":null,"offset":null}"#)
        == JSONRecord())
  }

  @Test func acceptsBase64AndEmptyValues() throws {
    let record = try parse(#"{"key":{"base64":"/wA="},"value":{ "base64" : "" },"headers":[[{"base64":"gA=="},""]]}"#)
    #expect(record.key == [0xFF, 0x00])
    #expect(record.value == [])
    #expect(record.headers == [JSONHeader(key: [0x80], value: [])])
    #expect(try parse(#"{"value":""}"#).value == [])
  }

  @Test func headersAsAnObjectKeepTheirOrder() throws {
    let record = try parse(#"{"headers":{"z":"1","a":null,"z":{"base64":"AQ=="}}}"#)
    #expect(
      record.headers == [
        JSONHeader(key: bytes("z"), value: bytes("1")), JSONHeader(key: bytes("a"), value: nil),
        JSONHeader(key: bytes("z"), value: [1]),
      ])
    #expect(try parse(#"{"headers":{}}"#).headers == [])
    #expect(try parse(#"{"headers":[]}"#).headers == [])
  }

  @Test func decodesStringEscapes() throws {
    let record = try parse(#"{"value":"a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\u20AC\ud834\udd1e😀é"}"#)
    let expected: [UInt8] =
      bytes("a\"b\\c/d") + [0x08, 0x0C, 0x0A, 0x0D, 0x09, 0x00] + bytes("é€𝄞😀é")
    #expect(record.value == expected)
  }

  @Test func acceptsTimestampsAsText() throws {
    #expect(try parse(#"{"timestamp":"2023-11-14T22:13:20Z"}"#).timestamp == 1_700_000_000_000)
    #expect(try parse(#"{"timestamp":"2024-05-01"}"#).timestamp == 1_714_521_600_000)
    #expect(try parse(#"{"timestamp":-1}"#).timestamp == -1)
    #expect(try parse(#"{"timestamp":-9223372036854775808}"#).timestamp == Int64.min)
    #expect(try parse(#"{"offset":9223372036854775807}"#).offset == Int64.max)
    #expect(try parse(#"{"partition":0}"#).partition == 0)
    #expect(try parse(#"{"partition":2147483647}"#).partition == 2_147_483_647)
  }

  @Test(arguments: [
    ("", "column 1: expected a JSON object"),
    ("   ", "column 4: expected a JSON object"),
    (#""abc""#, "column 1: expected a JSON object"),
    ("42", "column 1: expected a JSON object"),
    ("[]", "column 1: expected a JSON object"),
    ("null", "column 1: expected a JSON object"),
    ("{", "column 2: expected a field name"),
    (#"{"key":"a""#, "column 11: expected ',' or '}'"),
    (#"{"key":"a" "value":"b"}"#, "column 12: expected ',' or '}'"),
    (#"{"key":"a",}"#, "column 12: expected a field name"),
    (#"{key:"a"}"#, "column 2: expected a field name"),
    (#"{"key" "a"}"#, "column 8: expected ':'"),
    (#"{"key":"a"} x"#, "column 13: unexpected data after the JSON object"),
    (#"{"key":"a"}{}"#, "column 12: unexpected data after the JSON object"),
    (#"{"key":"a"#, "column 8: unterminated string"),
    (#"{"key":"a\"#, "column 8: unterminated string"),
    ("{\"key\":\"a\tb\"}", "column 10: control character in string"),
    (#"{"key":"a\x"}"#, "column 10: invalid escape"),
    (#"{"key":"\u12"}"#, "column 9: invalid \\u escape"),
    (#"{"key":"\u12G4"}"#, "column 9: invalid \\u escape"),
    (#"{"key":"\ud800"}"#, "column 9: unpaired surrogate in \\u escape"),
    (#"{"key":"\ud800\u0041"}"#, "column 9: unpaired surrogate in \\u escape"),
    (#"{"key":"\udc00\ud800"}"#, "column 9: unpaired surrogate in \\u escape"),
    (#"{"key":nul}"#, "column 8: invalid literal"),
    (#"{"key":true}"#, #"column 8: field "key": expected a string, {"base64": "..."} or null"#),
    (#"{"value":1}"#, #"column 10: field "value": expected a string, {"base64": "..."} or null"#),
    (#"{"value":["a"]}"#, #"column 10: field "value": expected a string, {"base64": "..."} or null"#),
    (#"{"value":{"hex":"00"}}"#, #"column 10: field "value": expected {"base64": "..."}"#),
    (#"{"value":{"base64":"@@"}}"#, #"column 20: field "value": invalid base64"#),
    (#"{"value":{"base64":1}}"#, #"column 20: field "value": expected a base64 string"#),
    (#"{"value":{"base64":"","x":1}}"#, "column 22: expected '}'"),
    (#"{"nope":1}"#, #"column 2: unknown field "nope""#),
    (#"{"Key":"a"}"#, #"column 2: unknown field "Key""#),
    (#"{"key":"a","key":"b"}"#, #"column 12: field "key": appears twice"#),
    (#"{"partition":-1}"#, #"column 14: field "partition": expected a non-negative integer"#),
    (#"{"partition":1.5}"#, #"column 14: field "partition": expected an integer"#),
    (#"{"partition":1e2}"#, #"column 14: field "partition": expected an integer"#),
    (#"{"partition":2147483648}"#, #"column 14: field "partition": out of range"#),
    (#"{"partition":"1"}"#, #"column 14: field "partition": expected an integer or null"#),
    (#"{"partition":01}"#, "column 14: invalid number"),
    (#"{"partition":-}"#, "column 14: invalid number"),
    (#"{"partition":1.}"#, "column 14: invalid number"),
    (#"{"timestamp":9223372036854775808}"#, #"column 14: field "timestamp": out of range"#),
    (#"{"timestamp":"yesterday"}"#, #"column 14: field "timestamp": expected milliseconds or an RFC 3339 time"#),
    (#"{"offset":true}"#, #"column 11: field "offset": expected an integer or null"#),
    (#"{"topic":1}"#, #"column 10: field "topic": expected a string or null"#),
    (#"{"headers":"a"}"#, #"column 12: field "headers": expected an array of [name, value] pairs or an object"#),
    (#"{"headers":["a"]}"#, #"column 13: field "headers": expected a [name, value] pair"#),
    (#"{"headers":[["a"]]}"#, #"column 13: field "headers": expected a [name, value] pair"#),
    (#"{"headers":[[]]}"#, #"column 13: field "headers": expected a [name, value] pair"#),
    (#"{"headers":[["a","b","c"]]}"#, #"column 13: field "headers": expected a [name, value] pair"#),
    (#"{"headers":[[null,"b"]]}"#, #"column 14: field "headers": a header name cannot be null"#),
    (#"{"headers":[[1,"b"]]}"#, #"column 14: field "headers": expected a string, {"base64": "..."} or null"#),
    (#"{"headers":[["a" "b"]]}"#, "column 18: expected ','"),
    (#"{"headers":[["a","b"] ["c","d"]]}"#, "column 23: expected ',' or ']'"),
    (#"{"headers":{"a":"b" "c":"d"}}"#, "column 21: expected ',' or '}'"),
    (#"{"headers":{1:"b"}}"#, "column 13: expected a header name"),
    (#"{"headers":{"a":1}}"#, #"column 17: field "headers": expected a string, {"base64": "..."} or null"#),
  ] as [(String, String)])
  func rejects(line: String, message: String) {
    let error = #expect(throws: JSONRecordError.self) { try parse(line) }
    #expect(error?.message == message)
  }

  @Test func rejectsInvalidUTF8InStrings() {
    let line: [UInt8] = bytes(#"{"value":"ab"#) + [0xC3, 0x28] + bytes(#""}"#)
    #expect(throws: JSONRecordError.syntax(column: 11, reason: "invalid UTF-8 in string")) {
      try JSONRecord.parse(line)
    }
    let truncated: [UInt8] = bytes(#"{"value":"ab"#) + [0xE2, 0x82] + bytes(#""}"#)
    #expect(throws: JSONRecordError.syntax(column: 11, reason: "invalid UTF-8 in string")) {
      try JSONRecord.parse(truncated)
    }
  }

  @Test func errorsCarryTheirParts() {
    #expect(throws: JSONRecordError.unknownField(name: "x", column: 2)) { try parse(#"{"x":1}"#) }
    #expect(
      throws: JSONRecordError.invalidField(name: "partition", column: 14, reason: "out of range")
    ) { try parse(#"{"partition":99999999999}"#) }
    #expect(JSONRecordError.syntax(column: 7, reason: "r").column == 7)
    // Field names in messages stay on one line and short.
    let long = String(repeating: "n", count: 100)
    #expect(
      JSONRecordError.unknownField(name: "a\nb", column: 2).message == #"column 2: unknown field "a?b""#)
    #expect(
      JSONRecordError.unknownField(name: long, column: 2).message
        == "column 2: unknown field \"\(String(repeating: "n", count: 64))...\"")
  }

  @Test func deepNestingFailsFastWithoutRecursion() {
    let deep = #"{"value":"# + String(repeating: "[", count: 100_000)
    #expect(throws: JSONRecordError.self) { try parse(deep) }
    let deepHeaders = #"{"headers":[["a","# + String(repeating: "{", count: 100_000)
    #expect(throws: JSONRecordError.self) { try parse(deepHeaders) }
  }
}
