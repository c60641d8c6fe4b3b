/// Record timestamps: milliseconds since 1970-01-01T00:00:00Z, proleptic Gregorian calendar.
///
/// `parse` accepts RFC 3339 (`2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.123+02:00`; `t`/`z` in
/// either case; a space instead of `T`), a date and time without a zone (UTC), a time without
/// seconds (`2024-05-01T12:00`), a date alone (UTC midnight) and `@<epoch millis>`. Fraction
/// digits beyond milliseconds are truncated. Years outside 0000...9999 are written with a sign
/// and at least 6 digits (`+010000-01-01`, `-000001-12-31`), as ISO 8601 expanded years.
/// Leap seconds (`:60`) are rejected.
package enum Timestamps {
  private static let msPerDay: Int64 = 86_400_000

  package static func parse(_ text: String) -> Int64? {
    parse(utf8: Array(text.utf8))
  }

  /// `parse(_:)` over UTF-8 bytes.
  package static func parse(utf8 s: [UInt8]) -> Int64? {
    var i = 0
    func isDigit(_ at: Int) -> Bool { at < s.count && s[at] >= 0x30 && s[at] <= 0x39 }
    func fixed(_ count: Int) -> Int64? {
      var value: Int64 = 0
      for _ in 0..<count {
        guard isDigit(i) else { return nil }
        value = value * 10 + Int64(s[i] - 0x30)
        i += 1
      }
      return value
    }
    func expect(_ byte: UInt8) -> Bool {
      guard i < s.count, s[i] == byte else { return false }
      i += 1
      return true
    }
    if expect(UInt8(ascii: "@")) {
      let negative = expect(UInt8(ascii: "-"))
      guard isDigit(i) else { return nil }
      var value: Int64 = 0
      while isDigit(i) {
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let digit = Int64(s[i] - 0x30)
        let (a, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
        if o1 || o2 { return nil }
        value = a
        i += 1
      }
      return i == s.count ? value : nil
    }
    // Date: YYYY-MM-DD or ±YYYY[YY...]-MM-DD.
    var year: Int64
    if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
      let negative = s[i] == UInt8(ascii: "-")
      i += 1
      let start = i
      year = 0
      while isDigit(i) && i - start < 12 {
        year = year * 10 + Int64(s[i] - 0x30)
        i += 1
      }
      if i - start < 4 || isDigit(i) { return nil }
      if negative { year = -year }
    } else {
      guard let y = fixed(4) else { return nil }
      year = y
    }
    guard expect(UInt8(ascii: "-")), let month = fixed(2), expect(UInt8(ascii: "-")),
      let day = fixed(2), month >= 1, month <= 12, day >= 1, day <= daysInMonth(year, month)
    else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    if i == s.count { return combine(days: days, adjustment: 0) }
    // Time: HH:MM[:SS[.fff...]].
    guard s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: "t") || s[i] == UInt8(ascii: " ") else {
      return nil
    }
    i += 1
    guard let hour = fixed(2), hour < 24, expect(UInt8(ascii: ":")), let minute = fixed(2), minute < 60
    else { return nil }
    var second: Int64 = 0
    var millis: Int64 = 0
    if expect(UInt8(ascii: ":")) {
      guard let sec = fixed(2), sec < 60 else { return nil }
      second = sec
      if expect(UInt8(ascii: ".")) {
        guard isDigit(i) else { return nil }
        var digits = 0
        while isDigit(i) {
          if digits < 3 { millis = millis * 10 + Int64(s[i] - 0x30) }
          digits += 1
          i += 1
        }
        for _ in digits..<max(digits, 3) { millis *= 10 }
      }
    }
    // Zone: Z, ±HH:MM, or none (UTC).
    var offsetMs: Int64 = 0
    if i < s.count {
      if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
        i += 1
      } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
        let sign: Int64 = s[i] == UInt8(ascii: "-") ? -1 : 1
        i += 1
        guard let offsetHour = fixed(2), offsetHour < 24, expect(UInt8(ascii: ":")),
          let offsetMinute = fixed(2), offsetMinute < 60
        else { return nil }
        offsetMs = sign * (offsetHour * 3_600_000 + offsetMinute * 60_000)
      } else {
        return nil
      }
    }
    if i != s.count { return nil }
    let timeOfDay = hour * 3_600_000 + minute * 60_000 + second * 1_000 + millis
    return combine(days: days, adjustment: timeOfDay - offsetMs)
  }

  /// `days * msPerDay + adjustment`, or nil when that is outside `Int64`. `adjustment` is less
  /// than two days either way; it is moved towards zero first so that values whose midnight
  /// overflows (like `Int64.min`'s day) still come out.
  private static func combine(days: Int64, adjustment: Int64) -> Int64? {
    var (days, adjustment) = (days, adjustment)
    if days < 0 && adjustment > 0 {
      days += 1
      adjustment -= msPerDay
    } else if days > 0 && adjustment < 0 {
      days -= 1
      adjustment += msPerDay
    }
    let (base, o1) = days.multipliedReportingOverflow(by: msPerDay)
    let (ms, o2) = base.addingReportingOverflow(adjustment)
    return o1 || o2 ? nil : ms
  }

  /// RFC 3339 in UTC with milliseconds: `1700000000000` → `2023-11-14T22:13:20.000Z`.
  package static func format(_ ms: Int64) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(32)
    format(ms, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends `format(ms)` to `out` without creating a String.
  package static func format(_ ms: Int64, into out: inout [UInt8]) {
    // Floor division, safe for Int64.min.
    var days = ms / msPerDay
    var rest = ms % msPerDay
    if rest < 0 {
      days -= 1
      rest += msPerDay
    }
    let (year, month, day) = civilFromDays(days)
    if year >= 0 && year <= 9999 {
      appendDigits(year, width: 4, into: &out)
    } else {
      out.append(year < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
      appendDigits(year < 0 ? -year : year, width: 6, into: &out)
    }
    out.append(UInt8(ascii: "-"))
    appendDigits(month, width: 2, into: &out)
    out.append(UInt8(ascii: "-"))
    appendDigits(day, width: 2, into: &out)
    out.append(UInt8(ascii: "T"))
    appendDigits(rest / 3_600_000, width: 2, into: &out)
    out.append(UInt8(ascii: ":"))
    appendDigits(rest / 60_000 % 60, width: 2, into: &out)
    out.append(UInt8(ascii: ":"))
    appendDigits(rest / 1_000 % 60, width: 2, into: &out)
    out.append(UInt8(ascii: "."))
    appendDigits(rest % 1_000, width: 3, into: &out)
    out.append(UInt8(ascii: "Z"))
  }

  /// Appends non-negative `value` in decimal, zero-padded to at least `width` digits.
  private static func appendDigits(_ value: Int64, width: Int, into out: inout [UInt8]) {
    var digits: [UInt8] = []
    var v = value
    repeat {
      digits.append(UInt8(truncatingIfNeeded: v % 10) + 0x30)
      v /= 10
    } while v > 0
    for _ in digits.count..<max(digits.count, width) { out.append(0x30) }
    out.append(contentsOf: digits.reversed())
  }

  static func isLeapYear(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
  }

  static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
    switch month {
    case 2: return isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
  /// `year` must be within about ±10^15 for the arithmetic to stay in range.
  static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400  // [0, 399]
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // [0, 365]
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // [0, 146096]
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The proleptic Gregorian date of a day number (Howard Hinnant's `civil_from_days`).
  static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097  // [0, 146096]
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // [0, 365]
    let mp = (5 * dayOfYear + 2) / 153  // [0, 11], March-based
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
