import Testing

@testable import KQCommands

@Suite struct Base64Tests {
  /// RFC 4648 section 10.
  static let vectors: [(String, String)] = [
    ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
    ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
  ]

  @Test(arguments: vectors)
  func encodesRFC4648Vectors(plain: String, encoded: String) {
    #expect(Base64.encode(Array(plain.utf8)) == encoded)
  }

  @Test(arguments: vectors)
  func decodesRFC4648Vectors(plain: String, encoded: String) {
    #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
    #expect(Base64.decode(encoded.utf8) == Array(plain.utf8))  // non-array collection
  }

  @Test(arguments: [("Zg", "f"), ("Zm8", "fo"), ("Zm9vYg", "foob"), ("Zm9vYmE", "fooba")])
  func decodesWithoutPadding(encoded: String, plain: String) {
    #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
  }

  @Test func usesTheStandardAlphabet() {
    #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    #expect(Base64.decode(Array("+/+/".utf8)) == [0xFB, 0xFF, 0xBF])
    #expect(Base64.encode([0x00, 0x10, 0x83, 0x10, 0x51, 0x87]) == "ABCDEFGH")
  }

  @Test(arguments: [
    "Z", "Zm9vY", "Zg=", "Zg===", "Z===", "====", "=", "==", "Zm9v=", "Zm=v", "Zg==Zg==", "Zm9v Zg==",
    "Zm9v\n", "-_-_", "Zm9v*", "Zg\u{0}=", "Zm9vYmFy=", "Zm9vYmFy==",
  ])
  func rejects(encoded: String) {
    #expect(Base64.decode(Array(encoded.utf8)) == nil)
  }

  @Test func rejectsNonASCIIBytes() {
    #expect(Base64.decode([0x5A, 0x67, 0xC3, 0xA9]) == nil)
    #expect(Base64.decode([0xFF, 0xFF, 0xFF, 0xFF]) == nil)
  }

  @Test func encodeAppends() {
    var out = Array("x:".utf8)
    [UInt8]([1, 2, 3, 4]).withUnsafeBytes { Base64.encode($0, into: &out) }
    #expect(String(decoding: out, as: UTF8.self) == "x:AQIDBA==")
  }

  @Test func roundTripsEveryLengthAndByte() {
    var failures = 0
    for length in 0..<300 {
      let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
      if Base64.decode(Array(Base64.encode(bytes).utf8)) != bytes { failures += 1 }
    }
    #expect(failures == 0)
  }
}
