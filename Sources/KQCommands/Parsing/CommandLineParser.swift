/// The parser's entry point: argv (without argv[0]) in, an `Invocation` or a `UsageError` out.
package enum CommandLineParser {
  /// `rawArguments`, when given, are the same elements as bytes exactly as the process got
  /// them; flag values keep those bytes (`ParsedArguments.valueBytes`).
  package static func parse(_ arguments: [String], rawArguments: [[UInt8]] = []) throws(UsageError) -> Invocation {
    var binder = Binder()
    if rawArguments.count == arguments.count { binder.rawArgv = rawArguments }
    do {
      try binder.bind(arguments)
      if !binder.wantsHelp && !binder.wantsVersion { try binder.validate() }
    } catch {
      // `kq consume --bogus --help` shows consume's help: help wins once the command is known.
      guard binder.wantsHelp || asksForHelp(arguments), !isAboutCommandWords(error) else { throw error }
      return Invocation(
        command: CommandTree.command(error.commandPath), path: error.commandPath,
        arguments: ParsedArguments(commandPath: error.commandPath), wantsHelp: true, wantsVersion: false)
    }
    let isBare = binder.command == nil && binder.path.isEmpty && !binder.wantsVersion
    return Invocation(
      command: binder.command, path: binder.path, arguments: binder.arguments,
      wantsHelp: binder.wantsHelp || isBare, wantsVersion: binder.wantsVersion)
  }

  /// `-h` or `--help` before any `--`, as a whole element.
  static func asksForHelp(_ arguments: [String]) -> Bool {
    for text in arguments {
      if text == "--" { return false }
      if text == "--help" || text == "-h" { return true }
    }
    return false
  }

  private static func isAboutCommandWords(_ error: UsageError) -> Bool {
    if case .unknownCommand = error.problem { return true }
    return false
  }
}
