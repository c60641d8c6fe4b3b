import Testing

@testable import KQCompression

@Suite("xxHash")
struct XXHashTests {
  static func hash32(_ text: String, seed: UInt32 = 0) -> UInt32 {
    Array(text.utf8).withUnsafeBufferPointer { XXHash32.hash($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count, seed: seed) }
  }

  static func hash64(_ text: String) -> UInt64 {
    Array(text.utf8).withUnsafeBufferPointer { XXHash64.hash($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count) }
  }

  @Test("xxHash32 gives the reference values, below and above its 16-byte stripes")
  func xxHash32Vectors() {
    #expect(Self.hash32("") == 0x02CC_5D05)
    #expect(Self.hash32("a") == 0x550D_7456)
    #expect(Self.hash32("abc") == 0x32D1_53FF)
    #expect(Self.hash32("Nobody inspects the spammish repetition") == 0xE229_3B2F)
  }

  @Test("xxHash64 gives the reference values, below and above its 32-byte stripes")
  func xxHash64Vectors() {
    #expect(Self.hash64("") == 0xEF46_DB37_51D8_E999)
    #expect(Self.hash64("a") == 0xD24E_C4F1_A98C_6E5B)
    #expect(Self.hash64("abc") == 0x44BC_2CF5_AD77_0999)
    #expect(Self.hash64("Nobody inspects the spammish repetition") == 0xFBCE_A83C_8A37_8BF1)
  }
}
