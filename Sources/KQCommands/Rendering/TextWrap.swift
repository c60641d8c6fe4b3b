/// Word wrapping for help text: plain ASCII prose, broken at spaces.
enum TextWrap {
  static let width = 80

  /// `text` broken into lines of at most `width` columns (a longer word stays whole), each
  /// prefixed by `indent` spaces.
  static func lines(_ text: String, indent: Int, width: Int = TextWrap.width) -> [String] {
    let room = max(20, width - indent)
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      if line.isEmpty {
        line = String(word)
      } else if line.count + 1 + word.count <= room {
        line += " " + word
      } else {
        lines.append(line)
        line = String(word)
      }
    }
    if !line.isEmpty { lines.append(line) }
    let pad = String(repeating: " ", count: indent)
    return lines.map { pad + $0 }
  }

  /// Paragraphs separated by blank lines, each wrapped.
  static func paragraphs(_ text: String, indent: Int) -> String {
    paragraphTexts(text).map { lines($0, indent: indent).joined(separator: "\n") }.joined(separator: "\n\n")
  }

  /// The paragraphs of a discussion (separated by blank lines), each on one line.
  static func paragraphTexts(_ text: String) -> [String] {
    var paragraphs: [String] = []
    var current: [Substring] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.allSatisfy({ $0 == " " }) {
        if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
        current = []
      } else {
        current.append(line)
      }
    }
    if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
    return paragraphs
  }

  /// Two columns: each label at `indent`, its text at a shared column (on the next line when
  /// the label is too wide), wrapped to `width`.
  static func table(_ rows: [(label: String, text: String)], indent: Int = 2, maxLabel: Int = 26) -> String {
    let labelWidth = min(maxLabel, rows.map(\.label.count).max() ?? 0)
    let column = indent + labelWidth + 2
    var out: [String] = []
    for row in rows {
      var wrapped = lines(row.text, indent: column)
      let head = String(repeating: " ", count: indent) + row.label
      if row.label.count <= labelWidth, let first = wrapped.first {
        wrapped[0] = head + String(first.dropFirst(head.count))
      } else {
        out.append(head)
      }
      out += wrapped
    }
    return out.joined(separator: "\n")
  }
}
