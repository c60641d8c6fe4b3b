private let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

extension JSONRecordParser {
  /// A JSON number that must be an integer in `Int64`; null gives nil when `nullable`.
  mutating func parseInteger(field: String, nullable: Bool) throws(JSONRecordError) -> Int64? {
    let start = i
    if nullable, try parseNull() { return nil }
    let negative = current == UInt8(ascii: "-")
    if negative { i += 1 }
    guard let first = current, isDigit(first) else {
      if negative { throw .syntax(column: start + 1, reason: "invalid number") }
      throw .invalidField(
        name: field, column: start + 1, reason: nullable ? "expected an integer or null" : "expected an integer")
    }
    var value: Int64 = 0
    var overflow = false
    while let b = current, isDigit(b) {
      if value == 0 && i > start + (negative ? 1 : 0) {
        throw .syntax(column: start + 1, reason: "invalid number")  // leading zero
      }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let digit = Int64(b &- UInt8(ascii: "0"))
      let (a, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
      overflow = overflow || o1 || o2
      value = a
      i += 1
    }
    var integral = true
    if current == UInt8(ascii: ".") {
      i += 1
      guard let b = current, isDigit(b) else { throw .syntax(column: start + 1, reason: "invalid number") }
      while let b = current, isDigit(b) { i += 1 }
      integral = false
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      i += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
      guard let b = current, isDigit(b) else { throw .syntax(column: start + 1, reason: "invalid number") }
      while let b = current, isDigit(b) { i += 1 }
      integral = false
    }
    if !integral { throw .invalidField(name: field, column: start + 1, reason: "expected an integer") }
    if overflow { throw .invalidField(name: field, column: start + 1, reason: "out of range") }
    return value
  }

  private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

  /// The bytes of the JSON string starting at `bytes[i] == '"'`, escapes decoded.
  mutating func parseString() throws(JSONRecordError) -> [UInt8] {
    let start = i
    i += 1
    var out: [UInt8] = []
    guard let base = bytes.baseAddress else { throw .syntax(column: 1, reason: "unterminated string") }
    while true {
      let runStart = i
      var nonASCII = false
      i = JSONScanning.nextSpecial(base, from: i, to: bytes.count, nonASCII: &nonASCII)
      if runStart < i {
        let run = UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])
        if nonASCII && !UTF8Validation.isValid(run) {
          throw .syntax(column: runStart + 1, reason: "invalid UTF-8 in string")
        }
        JSONScanning.append(run, to: &out)
      }
      guard i < bytes.count else { throw .syntax(column: start + 1, reason: "unterminated string") }
      let b = bytes[i]
      if b == quote {
        i += 1
        return out
      }
      if b < 0x20 { throw .syntax(column: i + 1, reason: "control character in string") }
      // Escape.
      let escapeStart = i
      i += 1
      guard i < bytes.count else { throw .syntax(column: start + 1, reason: "unterminated string") }
      let e = bytes[i]
      i += 1
      switch e {
      case quote, backslash, UInt8(ascii: "/"): out.append(e)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try hex4(escapeStart)
        if scalar >= 0xDC00 && scalar <= 0xDFFF {
          throw .syntax(column: escapeStart + 1, reason: "unpaired surrogate in \\u escape")
        }
        if scalar >= 0xD800 && scalar <= 0xDBFF {
          guard i + 1 < bytes.count, bytes[i] == backslash, bytes[i + 1] == UInt8(ascii: "u") else {
            throw .syntax(column: escapeStart + 1, reason: "unpaired surrogate in \\u escape")
          }
          i += 2
          let low = try hex4(i - 2)
          guard low >= 0xDC00 && low <= 0xDFFF else {
            throw .syntax(column: escapeStart + 1, reason: "unpaired surrogate in \\u escape")
          }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        appendUTF8(scalar, to: &out)
      default:
        throw .syntax(column: escapeStart + 1, reason: "invalid escape")
      }
    }
  }

  /// Four hex digits at `i`, the value of a `\u` escape that starts at `escapeStart`.
  private mutating func hex4(_ escapeStart: Int) throws(JSONRecordError) -> UInt32 {
    guard i + 4 <= bytes.count else { throw .syntax(column: escapeStart + 1, reason: "invalid \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[i]
      let digit: UInt8
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
      default: throw .syntax(column: escapeStart + 1, reason: "invalid \\u escape")
      }
      value = value << 4 | UInt32(digit)
      i += 1
    }
    return value
  }

  private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
    switch scalar {
    case 0..<0x80:
      out.append(UInt8(scalar))
    case 0x80..<0x800:
      out.append(UInt8(0xC0 | scalar >> 6))
      out.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
      out.append(UInt8(0xE0 | scalar >> 12))
      out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      out.append(UInt8(0x80 | scalar & 0x3F))
    default:
      out.append(UInt8(0xF0 | scalar >> 18))
      out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
      out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      out.append(UInt8(0x80 | scalar & 0x3F))
    }
  }
}
