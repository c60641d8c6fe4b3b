import Testing

@testable import KQKafka

/// A broken or hostile broker's bytes give a typed error at the byte where they go wrong:
/// never a trap, and never an allocation sized by a length nobody has sent.
@Suite("Wire decoding of hostile bytes")
struct WireDecodingSafetyTests {
  @Test("an int32 with three bytes left is truncated, at its position")
  func truncatedInteger() {
    var reader = WireReader([0, 0, 1, 0, 0])
    _ = try? reader.int16()
    #expect(throws: WireError.truncated(needed: 4, available: 3, position: 2)) { try reader.int32() }
  }

  @Test("a string length past the end is truncated, not read out of bounds")
  func stringPastEnd() {
    var reader = WireReader(hex("7fff 41"))
    #expect(throws: WireError.truncated(needed: 32767, available: 1, position: 2)) { try reader.string() }
  }

  @Test("a negative length other than the null marker is refused")
  func negativeLength() {
    var reader = WireReader(hex("fffffffe"))
    #expect(throws: WireError.negativeLength(-2, position: 0)) { try reader.nullableBytes() }
  }

  @Test("a null where a value is required is refused")
  func unexpectedNull() {
    var reader = WireReader(hex("ffff"))
    #expect(throws: WireError.unexpectedNull(position: 0)) { try reader.string() }
  }

  @Test("an array count of two billion with a few bytes left is refused before reserving")
  func hugeArrayCount() {
    var reader = WireReader(hex("7fffffff 00000001"))
    #expect(throws: WireError.countTooLarge(Int64(Int32.max), available: 4, position: 0)) {
      try reader.int32Array()
    }
    var compact = WireReader(hex("ffffffff0f 00"), isFlexible: true)
    #expect(throws: WireError.countTooLarge(Int64(UInt32.max) - 1, available: 1, position: 0)) {
      try compact.stringArray()
    }
  }

  @Test("a varint of more than 5 bytes, or with bits past 32, is refused")
  func longVarInt() {
    var reader = WireReader(hex("ffffffffff01"))
    #expect(throws: WireError.varIntTooLong(position: 0)) { try reader.unsignedVarInt() }
    var wide = WireReader(hex("ffffffff1f"))
    #expect(throws: WireError.varIntTooLong(position: 0)) { try wide.unsignedVarInt() }
  }

  @Test("a string that is not UTF-8 is refused")
  func invalidUTF8() {
    var reader = WireReader(hex("0002 c328"))
    #expect(throws: WireError.invalidUTF8(position: 2)) { try reader.string() }
  }

  @Test("tagged fields missing at the very end of a body count as none")
  func taggedFieldsAtEnd() throws {
    var reader = WireReader(hex("0001"), isFlexible: true)
    _ = try reader.int16()
    try reader.skipTaggedFields()
    #expect(reader.remaining == 0)
  }

  @Test("tagged fields claiming more bytes than remain are truncated")
  func taggedFieldPastEnd() {
    var reader = WireReader(hex("01 00 7f 00"), isFlexible: true)
    #expect(throws: WireError.truncated(needed: 127, available: 1, position: 3)) { try reader.skipTaggedFields() }
  }

  @Test("random bytes decode every response type to a value or a WireError", arguments: 0..<200 as Range<UInt64>)
  func randomBytesNeverTrap(seed: UInt64) {
    var generator = SplitMix(seed: seed)
    let length = Int(generator.next() % 64)
    let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    for version in ApiKey.apiVersions.supportedVersions {
      var reader = WireReader(bytes, isFlexible: ApiKey.apiVersions.isFlexible(version))
      _ = try? ApiVersionsRequest.decodeResponse(&reader, version: version)
    }
    ResponseDecoders.decodeAll(bytes, seed: seed)
  }
}

/// A small deterministic generator, so a failing seed can be rerun.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
