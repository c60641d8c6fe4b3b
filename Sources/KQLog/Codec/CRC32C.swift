import CKQCRC32C

/// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Long inputs are folded with
/// VPCLMULQDQ where the CPU has AVX-512 (about 57 GB/s from cache); without AVX-512, inputs of
/// 16 KiB and more run PCLMULQDQ folding and the SSE4.2 instruction side by side (about 28 GB/s
/// from cache on Zen 2), short ones fold or use the instruction's three streams (about 25 GB/s);
/// a slicing-by-8 table serves a CPU with none of these. All give the same value (`CKQCRC32C`).
package enum CRC32C {
  package static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress else { return crc }
    return kq_crc32c(crc, base, bytes.count)
  }

  package static func checksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { checksum($0) }
  }

  /// The table implementation, whatever the CPU (tests compare both paths).
  package static func portableChecksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { raw in raw.baseAddress.map { kq_crc32c_portable(0, $0, raw.count) } ?? 0 }
  }

  /// The SSE4.2 implementation; nil when the CPU lacks the instruction.
  package static func hardwareChecksum(_ bytes: [UInt8]) -> UInt32? {
    guard kq_crc32c_has_hardware() != 0 else { return nil }
    return bytes.withUnsafeBytes { raw in raw.baseAddress.map { kq_crc32c_hardware(0, $0, raw.count) } ?? 0 }
  }

  /// The folding implementation; nil when the CPU or OS cannot run it.
  package static func foldingChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32? {
    guard kq_crc32c_has_folding() != 0 else { return nil }
    return bytes.baseAddress.map { kq_crc32c_folding(crc, $0, bytes.count) } ?? crc
  }
}
