/// Byte-level helpers shared by the JSON record parser and encoder.
enum JSONScanning {
  private static let ones: UInt64 = 0x0101_0101_0101_0101
  private static let highs: UInt64 = 0x8080_8080_8080_8080

  /// The first position in `start..<end` holding `"`, `\` or a control character (< 0x20), or
  /// `end`. Sets `nonASCII` when a byte >= 0x80 occurs before that position (it may also be set
  /// by such a byte shortly after it). Checks 8 bytes at a time.
  @inline(__always)
  static func nextSpecial(
    _ base: UnsafeRawPointer, from start: Int, to end: Int, nonASCII: inout Bool
  ) -> Int {
    var i = start
    var seen: UInt64 = 0
    while i + 8 <= end {
      let w = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      seen |= w
      let quote = w ^ (ones &* 0x22)
      let backslash = w ^ (ones &* 0x5C)
      // "Has a zero byte" and "has a byte below n" bit tricks: no false positives.
      let hits =
        ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w)
      if hits & highs != 0 { break }
      i += 8
    }
    if seen & highs != 0 { nonASCII = true }
    while i < end {
      let b = base.load(fromByteOffset: i, as: UInt8.self)
      if b == 0x22 || b == 0x5C || b < 0x20 { break }
      if b >= 0x80 { nonASCII = true }
      i += 1
    }
    return i
  }

  /// Appends raw bytes to `out` with a single copy.
  @inline(__always)
  static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    bytes.withMemoryRebound(to: UInt8.self) { out.append(contentsOf: $0) }
  }
}
