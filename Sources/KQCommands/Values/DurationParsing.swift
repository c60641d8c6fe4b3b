/// Durations on the command line and in topic configuration (`retention.ms` and friends).
///
/// Accepted forms: a plain integer (milliseconds), a number with a unit (`500ms`, `30s`, `15m`,
/// `12h`, `7d`, `2w`), several such parts with strictly decreasing units (`1h30m`, `1d12h`),
/// and `-1` or `forever` for "no limit" (-1). Units are lowercase. Everything else, including
/// other negative numbers and values that overflow `Int64`, is rejected.
package enum DurationParsing {
  /// Units from largest to smallest, with their size in milliseconds.
  private static let units: [(name: String, ms: Int64)] = [
    ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1),
  ]

  /// Milliseconds for `text`, -1 for `-1`/`forever`, or nil when `text` is not a duration.
  /// With `unitRequired` (the command line's DURATION flags, where `--since 15` would read as
  /// 15 ms to kq and 15 minutes to a person) a bare number other than `-1` and `0` is refused.
  package static func milliseconds(_ text: String, unitRequired: Bool = false) -> Int64? {
    if text == "-1" || text == "forever" { return -1 }
    if unitRequired && text != "0" && !text.isEmpty && text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
      return nil
    }
    let bytes = Array(text.utf8)
    if bytes.isEmpty { return nil }
    var i = 0
    var total: Int64 = 0
    var lastUnit = -1  // index into `units` of the previous part's unit
    while i < bytes.count {
      // Number.
      let numberStart = i
      var number: Int64 = 0
      while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
        let (m, o1) = number.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] &- UInt8(ascii: "0")))
        if o1 || o2 { return nil }
        number = a
        i += 1
      }
      if i == numberStart { return nil }
      // Unit.
      let unitStart = i
      while i < bytes.count, bytes[i] >= UInt8(ascii: "a"), bytes[i] <= UInt8(ascii: "z") { i += 1 }
      if unitStart == i {
        // A bare integer is milliseconds, but only on its own.
        if numberStart == 0 && i == bytes.count { return number }
        return nil
      }
      guard let unit = unitIndex(bytes[unitStart..<i]), unit > lastUnit else { return nil }
      lastUnit = unit
      let (part, o1) = number.multipliedReportingOverflow(by: units[unit].ms)
      let (sum, o2) = total.addingReportingOverflow(part)
      if o1 || o2 { return nil }
      total = sum
    }
    return total
  }

  private static func unitIndex(_ name: ArraySlice<UInt8>) -> Int? {
    for (index, unit) in units.enumerated() where unit.name.utf8.elementsEqual(name) {
      return index
    }
    return nil
  }

  /// The shortest exact single-unit form: `604800000` → `7d`, `90000` → `90s`, `1500` →
  /// `1500ms`, `0` → `0ms`, `-1` → `forever`. Weeks are not used (`7d` reads better than `1w`).
  /// Other negative values come out as negative milliseconds (`-5ms`), which `milliseconds(_:)`
  /// does not accept.
  package static func format(_ ms: Int64) -> String {
    if ms == -1 { return "forever" }
    if ms == 0 || ms < 0 { return "\(ms)ms" }
    for unit in units.dropFirst() where ms % unit.ms == 0 {
      return "\(ms / unit.ms)\(unit.name)"
    }
    return "\(ms)ms"  // unreachable: every value is a multiple of 1 ms
  }
}
