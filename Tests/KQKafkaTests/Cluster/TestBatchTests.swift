import Testing

/// The tests' own batch encoder reproduces the worked example of kafka-format.md, section 2,
/// built there by kafka-python: the produce and fetch tests can trust it.
@Suite("Test batch encoder")
struct TestBatchTests {
  @Test("the worked example's three records encode to its 97 bytes, CRC 0x2CADFFBA")
  func workedExample() throws {
    let t: Int64 = 1_700_000_000_000
    let records = [
      TestRecord(key: nil, value: "hello", timestamp: t),
      TestRecord(key: "k1", value: "v1", timestamp: t + 100, headers: [("h", Array("x".utf8))]),
      TestRecord(key: "", value: nil, timestamp: t + 200),
    ]
    let expected =
      "00000000000000000000005500000000022cadffba0000000000020000018bcfe568000000018bcfe568c8ffffffffff"
      + "ffffffffffffffffff0000000316000000010a68656c6c6f001e00c80102046b3104763102026802780e00900304000100"
    let batch = TestBatch.encode(records)
    #expect(hexString(batch) == expected)
    #expect(try TestBatch.decode(batch).map(\.record) == records)
  }
}
