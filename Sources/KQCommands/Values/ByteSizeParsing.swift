/// Byte sizes on the command line and in topic configuration (`segment.bytes`, `retention.bytes`).
///
/// Accepted forms: a plain integer (bytes); a number followed by a unit, optionally after spaces:
/// `B`, `KB MB GB TB` (powers of 1000), `KiB MiB GiB TiB` and `K M G T` (powers of 1024), units
/// case-insensitive; a decimal fraction such as `1.5MiB` when the result is a whole number of
/// bytes; and `-1` ("no limit"). Other negative values and values above `Int64.max` are rejected.
package enum ByteSizeParsing {
  private static let units: [(name: String, multiplier: Int64)] = [
    ("b", 1),
    ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
    ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40),
    ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
  ]

  /// Bytes for `text`, -1 for `-1`, or nil when `text` is not a byte size.
  package static func bytes(_ text: String) -> Int64? {
    if text == "-1" { return -1 }
    let bytes = Array(text.utf8)
    var i = 0
    func digits() -> (value: Int64, count: Int, overflow: Bool) {
      var value: Int64 = 0
      var count = 0
      var overflow = false
      while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] &- UInt8(ascii: "0")))
        overflow = overflow || o1 || o2
        value = a
        count += 1
        i += 1
      }
      return (value, count, overflow)
    }
    let whole = digits()
    if whole.count == 0 || whole.overflow { return nil }
    // Fraction digits, without trailing zeros (`2.50` is `2.5`).
    var fraction: Int64 = 0
    var fractionDigits = 0
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      let fractionStart = i
      while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
      if i == fractionStart { return nil }
      var end = i
      while end > fractionStart, bytes[end - 1] == UInt8(ascii: "0") { end -= 1 }
      if end - fractionStart > 18 { return nil }
      for b in bytes[fractionStart..<end] { fraction = fraction * 10 + Int64(b &- UInt8(ascii: "0")) }
      fractionDigits = end - fractionStart
    }
    while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
    var multiplier: Int64 = 1
    if i < bytes.count {
      guard let unit = units.first(where: { unit in
        unit.name.utf8.elementsEqual(bytes[i...].lazy.map { $0 | 0x20 })
          && bytes[i...].allSatisfy { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }
      }) else { return nil }
      multiplier = unit.multiplier
    } else if i > 0, bytes[i - 1] == UInt8(ascii: " ") {
      return nil  // trailing spaces without a unit
    }
    // value = (whole * 10^n + fraction) * multiplier / 10^n, exact or rejected.
    var scale: Int64 = 1
    for _ in 0..<fractionDigits { scale *= 10 }
    let (scaledWhole, o1) = whole.value.multipliedReportingOverflow(by: scale)
    let (numerator, o2) = scaledWhole.addingReportingOverflow(fraction)
    if o1 || o2 { return nil }
    let common = gcd(multiplier, scale)
    let divisor = scale / common
    guard numerator % divisor == 0 else { return nil }
    let (result, o3) = (numerator / divisor).multipliedReportingOverflow(by: multiplier / common)
    return o3 ? nil : result
  }

  private static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
  }

  /// The shortest exact form with a whole number, preferring binary units on a tie:
  /// `134217728` → `128MiB`, `1000` → `1KB`, `1536` → `1536B`, `0` → `0B`, `-1` → `-1`.
  /// Other negative values come out as `-5B`, which `bytes(_:)` does not accept.
  package static func format(_ bytes: Int64) -> String {
    if bytes == -1 { return "-1" }
    if bytes <= 0 { return "\(bytes)B" }
    var best = "\(bytes)B"
    let candidates: [(String, Int64)] = [
      ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
      ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000),
    ]
    for (name, size) in candidates where bytes % size == 0 {
      let text = "\(bytes / size)\(name)"
      if text.utf8.count < best.utf8.count { best = text }
    }
    return best
  }
}
