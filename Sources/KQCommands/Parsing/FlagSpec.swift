/// What a shell may offer for a flag's value or a positional argument.
package enum Completion: Sendable, Equatable {
  case none
  /// Fixed words. For a flag they are also the only values the parser accepts, unless the
  /// flag says `acceptsOtherValues` (`--from beginning|end|OFFSET|...`).
  case choices([String])
  /// A topic name, listed at completion time by `kq topic list`.
  case topic
  /// A group name, listed at completion time by `kq group list`.
  case group
  case file
  case directory
}

/// One option of a command (or a global one). The tree of these feeds the parser, `--help`,
/// `man/kq.1` and the three completion scripts, so they cannot disagree.
package struct FlagSpec: Sendable, Equatable {
  /// The name without dashes, `partition` for `--partition`; the key of `ParsedArguments`.
  package var long: String
  /// `p` for `-p`; only where kcat or Kafka users expect one (STYLE.md, section 4).
  package var short: Character?
  /// The placeholder shown after the flag (`N`, `KEY=VALUE`); nil for a boolean switch.
  package var valueName: String?
  package var help: String
  /// May be given more than once (`-H a=1 -H b=2`); `values(_:)` returns them in order.
  package var isRepeatable: Bool
  package var completion: Completion
  /// With `.choices`, whether other values pass the parser (checked later by the command).
  package var acceptsOtherValues: Bool

  package init(
    _ long: String, short: Character? = nil, value valueName: String? = nil,
    repeatable: Bool = false, completion: Completion = .none, acceptsOtherValues: Bool = false,
    help: String
  ) {
    self.long = long
    self.short = short
    self.valueName = valueName
    self.help = help
    self.isRepeatable = repeatable
    self.completion = completion
    self.acceptsOtherValues = acceptsOtherValues
  }

  package var takesValue: Bool { valueName != nil }

  /// `--partition`
  package var longForm: String { "--" + long }

  /// `-p`, or nil.
  package var shortForm: String? { short.map { "-" + String($0) } }

  /// The values the parser accepts, when they are a closed set.
  package var allowedValues: [String]? {
    guard case .choices(let words) = completion, !acceptsOtherValues else { return nil }
    return words
  }

  /// `-p, --partition N` as help and the man page show it (without the leading indent).
  package var label: String {
    var text = shortForm.map { $0 + ", " } ?? ""
    text += longForm
    if let valueName { text += " " + valueName }
    return text
  }
}
