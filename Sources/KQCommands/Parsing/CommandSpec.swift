/// A positional argument of a command.
package struct ArgumentSpec: Sendable, Equatable {
  /// Upper case, as usage lines show it: `TOPIC`, `NAME`.
  package var name: String
  package var help: String
  package var isOptional: Bool
  /// Takes every remaining positional (`topic delete NAME...`); always the last argument.
  package var isVariadic: Bool
  package var completion: Completion

  package init(
    _ name: String, optional: Bool = false, variadic: Bool = false,
    completion: Completion = .none, help: String
  ) {
    self.name = name
    self.help = help
    self.isOptional = optional
    self.isVariadic = variadic
    self.completion = completion
  }

  /// `TOPIC`, `[TOPIC]`, `NAME...`
  package var synopsis: String {
    let base = isVariadic ? name + "..." : name
    return isOptional ? "[" + base + "]" : base
  }
}

/// One worked example: the man page and `--help` show the command and what it does.
package struct Example: Sendable, Equatable {
  /// The whole command line, starting with `kq`.
  package var command: String
  package var explanation: String

  package init(_ command: String, _ explanation: String) {
    self.command = command
    self.explanation = explanation
  }
}

/// A rule between flags that the parser checks once all of argv is read (after `--help`).
package enum FlagRule: Sendable, Equatable {
  /// This flag must be given (`group reset --topic`).
  case required(String)
  /// Exactly one of these (`group reset --to-earliest | --to-latest | ...`).
  case exactlyOne([String])
  /// At least one of these (`topic alter --config | --partitions`).
  case atLeastOne([String])
  /// At most one of these (`produce --json | --null`).
  case atMostOne([String])
  /// The first flag only works together with the second (`--idle` needs `--follow`).
  case requires(String, String)
}

/// A command: the words that name it, its arguments and flags, and the prose and examples that
/// `--help`, the man page and the completions are rendered from.
package struct CommandSpec: Sendable, Equatable {
  /// The words after `kq`: `["topic", "create"]`, `["consume"]`.
  package var path: [String]
  /// One line, no final period, for command lists.
  package var summary: String
  package var arguments: [ArgumentSpec]
  package var flags: [FlagSpec]
  package var rules: [FlagRule]
  /// A paragraph or two; blank lines separate paragraphs.
  package var discussion: String
  package var examples: [Example]

  package init(
    _ path: [String], summary: String, arguments: [ArgumentSpec] = [], flags: [FlagSpec] = [],
    rules: [FlagRule] = [], discussion: String, examples: [Example]
  ) {
    self.path = path
    self.summary = summary
    self.arguments = arguments
    self.flags = flags
    self.rules = rules
    self.discussion = discussion
    self.examples = examples
  }

  /// `topic create`
  package var name: String { path.joined(separator: " ") }

  package func flag(_ long: String) -> FlagSpec? { flags.first { $0.long == long } }

  /// What follows `kq topic create` in a usage line: the arguments, then the flags that must be
  /// given, then every flag when there are few or `[options]` when there are many.
  package var synopsis: String {
    var parts = arguments.map(\.synopsis)
    var shown: Set<String> = []
    for rule in rules {
      switch rule {
      case .required(let long):
        if let flag = flag(long) { parts.append(Self.usage(flag)); shown.insert(long) }
      case .exactlyOne(let longs):
        let choices = longs.compactMap(flag).map(Self.usage)
        parts.append("(" + choices.joined(separator: " | ") + ")")
        shown.formUnion(longs)
      default:
        break
      }
    }
    let rest = flags.filter { !shown.contains($0.long) }
    if rest.count <= 5 {
      for flag in rest {
        parts.append("[" + Self.usage(flag) + "]" + (flag.isRepeatable ? "..." : ""))
      }
    } else {
      parts.append("[options]")
    }
    return parts.joined(separator: " ")
  }

  /// `--partitions N` (the long form, which reads best in a usage line).
  static func usage(_ flag: FlagSpec) -> String {
    flag.valueName.map { flag.longForm + " " + $0 } ?? flag.longForm
  }
}
