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
    "every path this CPU can run agrees with the table at every length up to 2 KiB, from unaligned starts",
    arguments: CRC32CPath.supported)
  func everyShortLength(path: CRC32CPath) {
    var random = SeededGenerator(seed: 2048)
    let bytes = random.bytes(count: 2048 + 16)
    for offset in [0, 1, 13] {
      for length in 0...2048 {
        let initial = UInt32.random(in: 0...UInt32.max, using: &random)
        bytes.withUnsafeBytes { raw in
          let slice = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
          #expect(path.checksum(slice, continuing: initial) == CRC32CPath.table.checksum(slice, continuing: initial),
                  "length \(length) at offset \(offset)")
        }
      }
    }
  }

  /// Around the steps: 16-byte blocks, 64 and 128 (the 128-bit lanes), 184 (a hybrid step), 256
  /// and 768 (AVX-512 lanes, three 256-byte streams), 24 KiB (three 8 KiB streams), the lengths
  /// where kq_crc32c_hardware changes path (128, 768, 1024, 16384), and a few MiB.
  static let stepLengths = [
    0, 1, 15, 16, 17, 127, 128, 129, 183, 184, 185, 255, 256, 257, 319, 320, 367, 368, 369, 383, 384,
    511, 512, 513, 767, 768, 769, 1023, 1024, 1025, 4095, 4096, 4097, 4231, 4232, 4233, 8191, 8192,
    16_383, 16_384, 16_385,
    24_575, 24_576, 24_577, 65_536 + 13, 131_072, 262_144 + 3, 1_000_003, (3 << 20) + 7,
  ]

  @Test(
    "every path this CPU can run agrees with the table on lengths around its steps, from unaligned starts",
    arguments: stepLengths)
  func lengthsAroundSteps(length: Int) {
    var random = SeededGenerator(seed: UInt64(length))
    let bytes = random.bytes(count: length + 64)
    for offset in [0, 1, 7, 31, 63] {
      let initial = UInt32.random(in: 0...UInt32.max, using: &random)
      bytes.withUnsafeBytes { raw in
        let slice = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
        let expected = CRC32CPath.table.checksum(slice, continuing: initial)
        for path in CRC32CPath.supported {
          #expect(path.checksum(slice, continuing: initial) == expected, "\(path) on length \(length) at offset \(offset)")
        }
      }
    }
  }

  @Test("a checksum continued over two pieces equals the checksum of the whole, on every path", arguments: CRC32CPath.supported)
  func continuation(path: CRC32CPath) {
    var random = SeededGenerator(seed: 7)
    let bytes = random.bytes(count: 300_000)
    bytes.withUnsafeBytes { raw in
      let whole = CRC32CPath.table.checksum(raw, continuing: 0)
      for cut in [0, 5, 184, 4097, 150_001, 300_000] {
        let first = path.checksum(UnsafeRawBufferPointer(rebasing: raw[..<cut]), continuing: 0)
        #expect(path.checksum(UnsafeRawBufferPointer(rebasing: raw[cut...]), continuing: first) == whole, "cut at \(cut)")
      }
    }
  }

  @Test(
    "the hardware path is AVX-512 folding where the CPU can, else 128-bit folding, else the crc32 instruction",
    .enabled(if: kq_crc32c_has_hardware() != 0))
  func dispatchOrder() {
    let expected =
      kq_crc32c_has_folding() != 0 ? KQ_CRC32C_FOLD512 : kq_crc32c_has_clmul() != 0 ? KQ_CRC32C_CLMUL : KQ_CRC32C_STREAMS
    #expect(kq_crc32c_hardware_path() == expected)
  }
}

/// The C implementations of CRC-32C, each with the check that says whether this CPU can run it.
enum CRC32CPath: String, CaseIterable, CustomTestStringConvertible, Sendable {
  case table, streams, fold128, hybrid, fold512, hardware, dispatched

  static var supported: [CRC32CPath] { allCases.filter(\.isSupported) }

  var isSupported: Bool {
    switch self {
    case .table, .dispatched: true
    case .streams, .hardware: kq_crc32c_has_hardware() != 0
    case .fold128, .hybrid: kq_crc32c_has_clmul() != 0
    case .fold512: kq_crc32c_has_folding() != 0
    }
  }

  var testDescription: String { rawValue }

  func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
    guard let base = bytes.baseAddress else { return crc }
    switch self {
    case .table: return kq_crc32c_portable(crc, base, bytes.count)
    case .streams: return kq_crc32c_streams(crc, base, bytes.count)
    case .fold128: return kq_crc32c_fold128(crc, base, bytes.count)
    case .hybrid: return kq_crc32c_hybrid(crc, base, bytes.count)
    case .fold512: return kq_crc32c_folding(crc, base, bytes.count)
    case .hardware: return kq_crc32c_hardware(crc, base, bytes.count)
    case .dispatched: return kq_crc32c(crc, base, bytes.count)
    }
  }
}
