/// One argv element as the parser first sees it, before it knows which flags take values.
package enum Token: Equatable, Sendable {
  /// `--name` or `--name=value`.
  case long(name: String, value: String?)
  /// `-0Zp3`: single-letter flags packed together; a value-taking one takes the rest.
  case shorts([Character])
  /// A word, including a lone `-` (stdin by convention).
  case positional(String)
  /// `--`: every later element is positional.
  case terminator
}

package enum Tokenizer {
  /// Classifies one argv element. The binder calls it element by element, because a flag that
  /// takes a value takes the next element whatever it looks like (`--from -10`, `--format --`).
  package static func classify(_ text: String) -> Token {
    if text == "--" { return .terminator }
    if text.hasPrefix("--") {
      let body = text.dropFirst(2)
      if let equals = body.firstIndex(of: "=") {
        return .long(name: String(body[..<equals]), value: String(body[body.index(after: equals)...]))
      }
      return .long(name: String(body), value: nil)
    }
    if text.hasPrefix("-") && text.count > 1 { return .shorts(Array(text.dropFirst())) }
    return .positional(text)
  }

  /// Every element classified as if none took a value; for tests and tools.
  package static func tokenize(_ arguments: [String]) -> [Token] {
    var tokens: [Token] = []
    var optionsEnded = false
    for text in arguments {
      if optionsEnded {
        tokens.append(.positional(text))
      } else {
        let token = classify(text)
        if token == .terminator { optionsEnded = true }
        tokens.append(token)
      }
    }
    return tokens
  }
}
