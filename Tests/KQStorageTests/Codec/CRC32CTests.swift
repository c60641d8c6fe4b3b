import CKQCRC32C
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

@Suite("CRC-32C")
struct CRC32CTests {
  static let vectors: [([UInt8], UInt32)] = [
    (Array("123456789".utf8), 0xE306_9283),
    ([], 0),
    ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
    ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
    (Array("a".utf8), 0xC1D0_4330),
  ]

  @Test("the table implementation matches the known vectors", arguments: 0..<5)
  func portableVectors(index: Int) {
    let (input, expected) = Self.vectors[index]
    #expect(CRC32C.portableChecksum(input) == expected)
  }

  @Test("the SSE4.2 implementation matches the known vectors", arguments: 0..<5)
  func hardwareVectors(index: Int) throws {
    let (input, expected) = Self.vectors[index]
    let value = try #require(CRC32C.hardwareChecksum(input), "this CPU has no CRC-32C instruction")
    #expect(value == expected)
  }

  @Test("both implementations agree on inputs of every length up to 1 KiB")
  func pathsAgree() {
    var bytes: [UInt8] = []
    for length in 0...1024 {
      #expect(CRC32C.portableChecksum(bytes) == CRC32C.checksum(bytes), "length \(length)")
      bytes.append(UInt8(truncatingIfNeeded: length &* 31 &+ 7))
    }
  }

  @Test(
    "the folding implementation agrees with the table on lengths around its 16-, 64- and 256-byte steps, at every alignment",
    arguments: [0, 1, 15, 16, 255, 256, 257, 319, 320, 511, 512, 1023, 1024, 4095, 65_536 + 13, 131_072, 1_000_003])
  func foldingAgrees(length: Int) throws {
    try #require(kq_crc32c_has_folding() != 0, "this CPU cannot fold with VPCLMULQDQ")
    var random = SeededGenerator(seed: UInt64(length))
    let bytes = random.bytes(count: length + 64)
    for offset in [0, 1, 7, 31, 63] {
      let initial = UInt32.random(in: 0...UInt32.max, using: &random)
      bytes.withUnsafeBytes { raw in
        let slice = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
        let expected = kq_crc32c_portable(initial, slice.baseAddress!, length)
        #expect(CRC32C.foldingChecksum(slice, continuing: initial) == expected, "length \(length) at offset \(offset)")
        #expect(CRC32C.checksum(slice, continuing: initial) == expected, "length \(length) at offset \(offset)")
      }
    }
  }
}
