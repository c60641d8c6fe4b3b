/// A mistake on the command line, found before any file is opened. The funnel prints
/// `rendered()` to stderr and exits 64 (EX_USAGE).
package struct UsageError: Error, Equatable, Sendable {
  /// What is wrong. Flags are stored as the user spelled them (`-p` or `--partition`).
  package enum Problem: Equatable, Sendable {
    /// The words after the known command path: `consme`, `topic crate`.
    case unknownCommand(String, suggestions: [String])
    /// `kq topic` with no command after it.
    case missingSubcommand
    case unknownFlag(String, suggestions: [String])
    case missingValue(flag: String, valueName: String)
    /// `--json=yes`
    case unexpectedValue(flag: String, value: String)
    case repeatedFlag(String)
    case unexpectedArgument(String)
    /// The argument's name, `TOPIC`.
    case missingArgument(String)
    case invalidChoice(flag: String, value: String, choices: [String])
    case missingFlag(String)
    case missingOneOf([String])
    case conflictingFlags(String, String)
    /// The first flag only works with the second.
    case flagRequires(String, String)
    /// A value the command could not use: `--partitions x`, a bad topic name. `subject` is the
    /// flag (`--partitions`) or argument (`NAME`); `hint` says what is expected.
    case invalidValue(subject: String, value: String, hint: String)
  }

  package var problem: Problem
  /// The command words the usage line is about; empty for kq itself.
  package var commandPath: [String]

  package init(_ problem: Problem, commandPath: [String]) {
    self.problem = problem
    self.commandPath = commandPath
  }

  /// What is wrong, without the program name.
  package var message: String {
    switch problem {
    case .unknownCommand(let words, _): "unknown command '\(words)'"
    case .missingSubcommand:
      "'kq \(commandName)' needs a command: " + Self.list(CommandTree.subcommands(of: commandPath), "or")
    case .unknownFlag(let flag, _): "unknown option '\(flag)'"
    case .missingValue(let flag, _): "option '\(flag)' needs a value"
    case .unexpectedValue(let flag, let value): "option '\(flag)' takes no value, but was given '\(value)'"
    case .repeatedFlag(let flag): "option '\(flag)' was given more than once"
    case .unexpectedArgument(let word): "unexpected argument '\(word)'"
    case .missingArgument(let name): "'kq \(commandName)' needs \(name)"
    case .invalidChoice(let flag, let value, _): "invalid value '\(value)' for '\(flag)'"
    case .missingFlag(let flag): "'kq \(commandName)' needs '\(flag)'"
    case .missingOneOf(let flags):
      "'kq \(commandName)' needs one of " + Self.list(flags.map { "'\($0)'" }, "or")
    case .conflictingFlags(let a, let b): "options '\(a)' and '\(b)' cannot be used together"
    case .flagRequires(let flag, let other): "option '\(flag)' only works with '\(other)'"
    case .invalidValue(let subject, let value, _): "invalid value '\(value)' for \(subject)"
    }
  }

  /// What to do about it.
  package var hint: String {
    switch problem {
    case .unknownCommand(_, let suggestions), .unknownFlag(_, let suggestions):
      if !suggestions.isEmpty { return Self.didYouMean(suggestions) }
    case .missingValue(let flag, let valueName):
      return "write '\(flag) \(valueName)'"
    case .unexpectedValue(let flag, _):
      return "write '\(flag)' alone"
    case .repeatedFlag:
      return "give it once"
    case .invalidChoice(_, let value, let choices):
      let close = Suggestion.closest(to: value, among: choices)
      return close.isEmpty ? "use " + Self.list(choices, "or") : Self.didYouMean(close)
    case .missingFlag(let flag):
      let valueName = CommandTree.command(commandPath)?.flags.first { "--" + $0.long == flag }?.valueName
      return "add '" + flag + (valueName.map { " " + $0 } ?? "") + "'"
    case .conflictingFlags:
      return "keep one of them"
    case .flagRequires(let flag, let other):
      return "add '\(other)' or drop '\(flag)'"
    case .invalidValue(_, _, let hint):
      return hint
    default:
      break
    }
    return "see 'kq\(commandPath.isEmpty ? "" : " " + commandName) --help'"
  }

  /// Two lines, each ending in a newline:
  /// `kq: error: WHAT (hint: WHAT TO DO)` and `usage: kq PATH SYNOPSIS`.
  package func rendered(programName: String = "kq") -> String {
    "\(programName): error: " + TerminalText.escaped("\(message) (hint: \(hint))") + "\n" + "usage: " + Self.usageLine(for: commandPath, programName: programName) + "\n"
  }

  /// `kq consume TOPIC [options]`, `kq topic (create | list | delete | alter) ...`,
  /// `kq COMMAND [options]`.
  package static func usageLine(for path: [String], programName: String = "kq") -> String {
    if let command = CommandTree.command(path) {
      return ([programName] + path + [command.synopsis]).filter { !$0.isEmpty }.joined(separator: " ")
    }
    if CommandTree.isGroup(path) {
      let words = CommandTree.subcommands(of: path).joined(separator: " | ")
      return ([programName] + path).joined(separator: " ") + " (" + words + ") ..."
    }
    return programName + " COMMAND [options]"
  }

  var commandName: String { commandPath.joined(separator: " ") }

  static func didYouMean(_ suggestions: [String]) -> String {
    "did you mean " + list(suggestions.map { "'\($0)'" }, "or") + "?"
  }

  /// `a`, `a or b`, `a, b or c`.
  static func list(_ items: [String], _ conjunction: String) -> String {
    guard let last = items.last else { return "" }
    if items.count == 1 { return last }
    return items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
  }
}
