/// Text that came from a user or a file, made safe for a terminal before kq prints it in a
/// message: every control character (C0, DEL and C1, newlines and tabs included) is written as
/// an escape (`\x1B`, `\n`, `\u{9B}`), so that a name or a value cannot move the cursor, retitle
/// the terminal or start a line that looks like kq's own. Everything else, invalid UTF-8
/// already replaced by U+FFFD, is kept.
enum TerminalText {
  static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      guard isControl(scalar) else {
        out.unicodeScalars.append(scalar)
        continue
      }
      switch scalar {
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        let hex = String(scalar.value, radix: 16, uppercase: true)
        out += scalar.value < 0x80 ? "\\x" + (hex.count == 1 ? "0" : "") + hex : "\\u{" + hex + "}"
      }
    }
    return out
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0)
  }
}
