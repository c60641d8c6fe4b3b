/// What the user asked for: a command with its bound flags, or help, or the version.
package struct Invocation: Sendable, Equatable {
  /// nil for `kq`, `kq --help`, `kq --version` and `kq topic --help` (see `path`).
  package var command: CommandSpec?
  /// The command words recognised: `["topic", "create"]`, `["topic"]` for the group, `[]`.
  package var path: [String]
  package var arguments: ParsedArguments
  /// `-h/--help` given anywhere before `--`, `kq help ...`, or `kq` alone. Help wins over
  /// every other usage error once the command words are known.
  package var wantsHelp: Bool
  package var wantsVersion: Bool
}

/// The flags and positionals bound to a command. Flags are keyed by their long name without
/// dashes (`"partition"` for `-p` and `--partition`); global flags are included.
package struct ParsedArguments: Sendable, Equatable {
  package struct Occurrence: Sendable, Equatable {
    package var long: String
    /// nil for a boolean switch.
    package var value: String?
    /// As the user wrote it, `-p` or `--partition`, for error messages.
    package var spelled: String
    /// The value's bytes exactly as in argv (`value` has invalid UTF-8 replaced by U+FFFD).
    package var bytes: [UInt8]?
  }

  package var positionals: [String] = []
  /// How many positionals came before `--`, when it was given: those after it are a command's
  /// words (`kq pipe IN OUT -- grep -v x`), never topic names.
  package var positionalsBeforeTerminator: Int?
  /// `--dir PATH`, wherever it was given.
  package var globalDirectory: String?
  /// `--brokers LIST`, wherever it was given.
  package var globalBrokers: String?
  /// Every flag in command-line order.
  package var occurrences: [Occurrence] = []
  /// The command the arguments belong to, for errors a command raises (`invalidValue`).
  package var commandPath: [String] = []

  package init(positionals: [String] = [], globalDirectory: String? = nil, commandPath: [String] = []) {
    self.positionals = positionals
    self.globalDirectory = globalDirectory
    self.commandPath = commandPath
  }

  /// Whether the flag was given (a switch, or a flag with a value).
  package func has(_ long: String) -> Bool { occurrences.contains { $0.long == long } }

  /// The flag's value; the last one for a repeatable flag.
  package func value(_ long: String) -> String? {
    occurrences.last { $0.long == long && $0.value != nil }?.value
  }

  /// Every value of a repeatable flag, in order.
  package func values(_ long: String) -> [String] {
    occurrences.compactMap { $0.long == long ? $0.value : nil }
  }

  /// The partition numbers of `-p 0,2 -p 5` (`[0, 2, 5]`), each once, in order; empty when
  /// the flag is absent. A piece that is not a number from 0 to `limit` - 1, including an
  /// empty one (`-p ,`, `-p 1,`), is refused naming the value as given.
  package func partitionNumbers(_ long: String, below limit: Int) throws(UsageError) -> [Int] {
    var numbers: [Int] = []
    for occurrence in occurrences where occurrence.long == long {
      let text = occurrence.value ?? ""
      for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
        guard let number = Int(piece), number >= 0, number < limit else {
          let hint = piece.isEmpty ? "give partition numbers separated by single commas, such as 0 or 0,2"
            : "give partition numbers such as 0 or 0,2"
          throw UsageError(.invalidValue(subject: "'\(occurrence.spelled)'", value: text, hint: hint), commandPath: commandPath)
        }
        if !numbers.contains(number) { numbers.append(number) }
      }
    }
    return numbers
  }

  package func invalidValue(_ long: String, hint: String) -> UsageError {
    let given = occurrences.last { $0.long == long && $0.value != nil }
    return UsageError(
      .invalidValue(subject: "'\(given?.spelled ?? "--" + long)'", value: given?.value ?? "", hint: hint), commandPath: commandPath)
  }

  /// The usage error for a positional argument the command cannot use (`NAME`, `TOPIC`).
  package func invalidArgument(_ name: String, value: String, hint: String) -> UsageError {
    UsageError(.invalidValue(subject: name, value: value, hint: hint), commandPath: commandPath)
  }

  /// The flag's value as bytes, exactly as given in argv; the last one for a repeatable flag.
  /// For values that become record bytes (keys, headers, delimiters), which need not be UTF-8.
  package func valueBytes(_ long: String) -> [UInt8]? {
    occurrences.last { $0.long == long && $0.value != nil }?.bytes
  }

  /// Every value of a repeatable flag as bytes, in order.
  package func valuesBytes(_ long: String) -> [[UInt8]] {
    occurrences.compactMap { $0.long == long ? $0.bytes : nil }
  }

  mutating func append(_ long: String, value: String?, spelled: String? = nil, bytes: [UInt8]? = nil) {
    occurrences.append(
      Occurrence(long: long, value: value, spelled: spelled ?? "--" + long, bytes: bytes ?? value.map { Array($0.utf8) }))
  }
}
