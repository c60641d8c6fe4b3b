import Testing

@testable import KQKafka

@Suite("Wire encoding")
struct WireEncodingTests {
  @Test("unsigned varints have no zig-zag", arguments: [
    (UInt32(0), "00"), (9, "09"), (127, "7f"), (128, "8001"), (300, "ac02"), (UInt32.max, "ffffffff0f"),
  ])
  func unsignedVarInts(value: UInt32, encoded: String) throws {
    var writer = WireWriter()
    writer.unsignedVarInt(value)
    #expect(hexString(writer.bytes) == encoded)
    var reader = WireReader(writer.bytes)
    #expect(try reader.unsignedVarInt() == value)
    #expect(reader.remaining == 0)
  }

  @Test("an ApiVersions v0 request frame matches the bytes measured against Tansu")
  func apiVersionsV0Frame() {
    #expect(hexString(frame(version: 0)) == "000000120012000000000007" + "00086b712d70726f6265")
  }

  @Test("an ApiVersions v3 request uses header v2 and compact strings, with a classic client id")
  func apiVersionsV3Frame() {
    let expected = "00000023" + "0012" + "0003" + "00000007" + "00086b712d70726f6265" + "00"
      + "096b712d70726f6265" + "06302e302e31" + "00"
    #expect(hexString(frame(version: 3)) == expected)
  }

  private func frame(version: Int16) -> [UInt8] {
    var writer = WireWriter()
    writer.int32(0)
    RequestHeader(apiKey: .apiVersions, apiVersion: version, correlationId: 7, clientId: "kq-probe")
      .encode(into: &writer)
    writer.isFlexible = ApiKey.apiVersions.isFlexible(version)
    ApiVersionsRequest(clientSoftwareName: "kq-probe", clientSoftwareVersion: "0.0.1").encode(
      into: &writer, version: version)
    writer.setInt32(Int32(writer.count - 4), at: 0)
    return writer.bytes
  }

  @Test("strings, bytes and arrays read back in both the classic and the compact form", arguments: [false, true])
  func roundTrip(isFlexible: Bool) throws {
    var writer = WireWriter(isFlexible: isFlexible)
    writer.string("topic-é")
    writer.nullableString(nil)
    writer.bytes([1, 2, 3])
    writer.nullableBytes(nil)
    writer.int32Array([1, -1, Int32.max])
    writer.nullArray()
    writer.int64(Int64.min)
    writer.int16(-2)
    writer.bool(true)
    writer.uuid(KafkaUUID(high: 1, low: UInt64.max))
    writer.taggedFields()
    var reader = WireReader(writer.bytes, isFlexible: isFlexible)
    #expect(try reader.string() == "topic-é")
    #expect(try reader.nullableString() == nil)
    #expect(try reader.bytes() == [1, 2, 3])
    #expect(try reader.nullableBytes() == nil)
    #expect(try reader.int32Array() == [1, -1, Int32.max])
    #expect(try reader.nullableArrayCount() == nil)
    #expect(try reader.int64() == Int64.min)
    #expect(try reader.int16() == -2)
    #expect(try reader.bool())
    #expect(try reader.uuid() == KafkaUUID(high: 1, low: UInt64.max))
    try reader.skipTaggedFields()
    #expect(reader.remaining == 0)
  }

  @Test("a classic string longer than 32767 bytes is refused before sending, not truncated")
  func longStringIsAProblem() {
    var writer = WireWriter()
    writer.string(String(repeating: "x", count: 40_000), field: "group id")
    #expect(writer.problem == .valueTooLarge(field: "group id", size: 40_000, limit: 32767))
  }

  @Test("tagged fields of any tag and size are stepped over")
  func taggedFieldsAreSkipped() throws {
    // two fields: tag 0 of 3 bytes, tag 5 of 0 bytes; then an int16
    var reader = WireReader(hex("02 00 03 aabbcc 05 00 | 0007"), isFlexible: true)
    try reader.skipTaggedFields()
    #expect(try reader.int16() == 7)
  }
}
