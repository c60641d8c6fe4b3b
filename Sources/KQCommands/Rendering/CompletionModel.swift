/// What the three completion scripts share, derived from `CommandTree`.
enum CompletionModel {
  /// Every path that names a group or a command: `topic`, `topic create`, `consume`, ...
  static var nodes: [String] {
    var nodes: [String] = []
    for command in CommandTree.commands {
      for length in 1...command.path.count {
        let name = command.path.prefix(length).joined(separator: " ")
        if !nodes.contains(name) { nodes.append(name) }
      }
    }
    return nodes
  }

  /// `""` (kq itself) and each group: the paths whose next word is a command word.
  static var branches: [[String]] { [[]] + CommandTree.groups.map { [$0.word] } }

  /// The spellings of the flags of `command` that take a value (`-p`, `--partition`).
  static func valueSpellings(_ flags: [FlagSpec]) -> [String] {
    flags.filter(\.takesValue).flatMap(spellings)
  }

  static func spellings(_ flag: FlagSpec) -> [String] {
    (flag.shortForm.map { [$0] } ?? []) + [flag.longForm]
  }

  /// The first clause of a help text (up to '. ', ': ' or '; '), for the one-line descriptions shells show.
  static func brief(_ help: String) -> String {
    var text = help
    for separator in [". ", ": ", "; "] {
      if let end = text.firstRange(of: separator) { text = String(text[..<end.lowerBound]) }
    }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }

  /// `"topic create"` as a shell word, quoted when it has a space.
  static func quotedPath(_ path: [String]) -> String {
    let name = path.joined(separator: " ")
    return path.count > 1 || name.isEmpty ? "\"\(name)\"" : name
  }
}
