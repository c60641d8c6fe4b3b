/// Binds argv to the command tree in one left-to-right pass: command words first (global flags
/// may come before them), then the command's flags and positionals.
struct Binder {
  var path: [String] = []
  var command: CommandSpec?
  var arguments = ParsedArguments()
  var wantsHelp = false
  var wantsVersion = false
  /// argv's elements as bytes, when the caller has them: flag values keep their exact bytes.
  var rawArgv: [[UInt8]] = []

  mutating func bind(_ argv: [String]) throws(UsageError) {
    var index = 0
    var optionsEnded = false
    while index < argv.count {
      let text = argv[index]
      let element = index
      index += 1
      if optionsEnded {
        try bindWord(text)
        continue
      }
      switch Tokenizer.classify(text) {
      case .terminator:
        optionsEnded = true
        arguments.positionalsBeforeTerminator = arguments.positionals.count
      case .positional(let word):
        try bindWord(word)
      case .long(let name, let inline):
        guard let flag = flag(long: name) else {
          throw error(.unknownFlag(text.prefix { $0 != "=" }.description, suggestions: suggestFlags(for: "--" + name)))
        }
        let rawInline = inline == nil ? nil : rawSuffix(of: element, after: 2 + name.utf8.count + 1)
        try record(flag, spelled: "--" + name, inline: inline, rawInline: rawInline, argv: argv, index: &index)
      case .shorts(let letters):
        try bindShorts(letters, text: text, element: element, argv: argv, index: &index)
      }
    }
  }

  /// Checks what can only be checked once argv is read: subcommand, positionals, flag rules.
  func validate() throws(UsageError) {
    guard let command else {
      if CommandTree.isGroup(path) { throw error(.missingSubcommand) }
      return
    }
    let required = command.arguments.filter { !$0.isOptional }
    if arguments.positionals.count < required.count {
      throw error(.missingArgument(required[arguments.positionals.count].name))
    }
    let isVariadic = command.arguments.last?.isVariadic ?? false
    if !isVariadic && arguments.positionals.count > command.arguments.count {
      throw error(.unexpectedArgument(arguments.positionals[command.arguments.count]))
    }
    for rule in command.rules { try check(rule) }
  }

  private func check(_ rule: FlagRule) throws(UsageError) {
    let given = { (longs: [String]) in longs.filter { arguments.has($0) }.map { "--" + $0 } }
    switch rule {
    case .required(let long):
      if !arguments.has(long) { throw error(.missingFlag("--" + long)) }
    case .exactlyOne(let longs):
      let present = given(longs)
      if present.isEmpty { throw error(.missingOneOf(longs.map { "--" + $0 })) }
      if present.count > 1 { throw error(.conflictingFlags(present[0], present[1])) }
    case .atLeastOne(let longs):
      if given(longs).isEmpty { throw error(.missingOneOf(longs.map { "--" + $0 })) }
    case .atMostOne(let longs):
      let present = given(longs)
      if present.count > 1 { throw error(.conflictingFlags(present[0], present[1])) }
    case .requires(let long, let other):
      if arguments.has(long) && !arguments.has(other) { throw error(.flagRequires("--" + long, "--" + other)) }
    }
  }

  // MARK: Words

  private mutating func bindWord(_ word: String) throws(UsageError) {
    if command != nil {
      arguments.positionals.append(word)
      return
    }
    if path.isEmpty && word == "help" && !wantsHelp {
      wantsHelp = true  // `kq help topic create`
      return
    }
    let candidate = path + [word]
    if let found = CommandTree.command(candidate) {
      path = candidate
      command = found
      arguments.commandPath = candidate
    } else if CommandTree.isGroup(candidate) {
      path = candidate
    } else {
      throw error(.unknownCommand(candidate.joined(separator: " "), suggestions: suggestCommands(for: word)))
    }
  }

  private func suggestCommands(for word: String) -> [String] {
    let here = path.isEmpty ? CommandTree.commands.map { $0.path[0] } : CommandTree.subcommands(of: path)
    var words: [String] = []
    for word in here where !words.contains(word) { words.append(word) }
    let close = Suggestion.closest(to: word, among: words)
    if !close.isEmpty { return close.map { (path + [$0]).joined(separator: " ") } }
    // `kq create` means `kq topic create`; `kq list` could be either list.
    return CommandTree.commands.filter { $0.path.count > 1 && $0.path.last == word }.map(\.name)
  }

  // MARK: Flags

  private mutating func bindShorts(
    _ letters: [Character], text: String, element: Int, argv: [String], index: inout Int
  ) throws(UsageError) {
    if letters.count > 1, flag(long: String(letters)) != nil {
      throw error(.unknownFlag(text, suggestions: ["--" + String(letters)]))  // `-partition`
    }
    var position = 0
    while position < letters.count {
      let letter = letters[position]
      guard let flag = flag(short: letter) else {
        throw error(.unknownFlag("-" + String(letter), suggestions: []))
      }
      position += 1
      if flag.takesValue {
        var rest = String(letters[position...])
        var skipped = 1 + String(letters[..<position]).utf8.count
        if rest.hasPrefix("=") {  // `-p=3`
          rest.removeFirst()
          skipped += 1
        }
        let inline = rest.isEmpty ? nil : rest
        try record(
          flag, spelled: "-" + String(letter), inline: inline,
          rawInline: inline == nil ? nil : rawSuffix(of: element, after: skipped), argv: argv, index: &index)
        return
      }
      try record(flag, spelled: "-" + String(letter), inline: nil, argv: argv, index: &index)
    }
  }

  /// The bytes of argv element `element` after its first `count` (the flag's own spelling).
  private func rawSuffix(of element: Int, after count: Int) -> [UInt8]? {
    guard element < rawArgv.count, count <= rawArgv[element].count else { return nil }
    return Array(rawArgv[element][count...])
  }

  private mutating func record(
    _ flag: FlagSpec, spelled: String, inline: String?, rawInline: [UInt8]? = nil, argv: [String], index: inout Int
  ) throws(UsageError) {
    var value: String?
    var bytes: [UInt8]?
    if let valueName = flag.valueName {
      if let inline {
        value = inline
        bytes = rawInline
      } else if index < argv.count {
        value = argv[index]
        bytes = index < rawArgv.count ? rawArgv[index] : nil
        index += 1
      } else {
        throw error(.missingValue(flag: spelled, valueName: valueName))
      }
      if let allowed = flag.allowedValues, let value, !allowed.contains(value) {
        throw error(.invalidChoice(flag: spelled, value: value, choices: allowed))
      }
    } else if let inline {
      throw error(.unexpectedValue(flag: spelled, value: inline))
    }
    switch flag.long {
    case "help": wantsHelp = true; return
    case "version": wantsVersion = true; return
    case "dir": arguments.globalDirectory = value
    case "brokers": arguments.globalBrokers = value
    default: break
    }
    if !flag.isRepeatable && arguments.has(flag.long) { throw error(.repeatedFlag(spelled)) }
    arguments.append(flag.long, value: value, spelled: spelled, bytes: bytes)
  }

  /// The flags usable here: the command's, then the global ones.
  private var availableFlags: [FlagSpec] { (command?.flags ?? []) + CommandTree.globalFlags }

  private func flag(long: String) -> FlagSpec? { availableFlags.first { $0.long == long } }

  private func flag(short: Character) -> FlagSpec? { availableFlags.first { $0.short == short } }

  private func suggestFlags(for spelled: String) -> [String] {
    Suggestion.closest(to: spelled, among: availableFlags.map(\.longForm))
  }

  private func error(_ problem: UsageError.Problem) -> UsageError {
    UsageError(problem, commandPath: path)
  }
}
