import Testing

@testable import KQCommands

@Suite("Parsing argv into an Invocation")
struct ParserFormsTests {
  func parse(_ arguments: [String]) throws -> Invocation {
    try CommandLineParser.parse(arguments)
  }

  @Test("command words select the command and the rest are positionals")
  func commandWords() throws {
    let invocation = try parse(["topic", "create", "logs"])
    #expect(invocation.command?.path == ["topic", "create"])
    #expect(invocation.arguments.positionals == ["logs"])
    #expect(invocation.arguments.commandPath == ["topic", "create"])
    #expect(!invocation.wantsHelp && !invocation.wantsVersion)
  }

  @Test("--flag value and --flag=value bind the same way")
  func longValueForms() throws {
    let spaced = try parse(["topic", "create", "logs", "--partitions", "3"])
    let joined = try parse(["topic", "create", "logs", "--partitions=3"])
    #expect(spaced.arguments.value("partitions") == "3")
    #expect(joined.arguments.value("partitions") == "3")
    #expect(try parse(["consume", "t", "--format="]).arguments.value("format") == "")
  }

  @Test("short flags take a separate or attached value", arguments: [["-p", "3"], ["-p3"], ["-p=3"]])
  func shortValueForms(form: [String]) throws {
    #expect(try parse(["produce", "t"] + form).arguments.value("partition") == "3")
  }

  @Test("packed booleans and a value-taking short at the end of a pack")
  func packs() throws {
    let booleans = try parse(["produce", "t", "-0Z"])
    #expect(booleans.arguments.has("null") && booleans.arguments.has("empty-as-null"))
    let withValue = try parse(["produce", "t", "-Zp3"])
    #expect(withValue.arguments.has("empty-as-null"))
    #expect(withValue.arguments.value("partition") == "3")
    let valueNext = try parse(["produce", "t", "-Zp", "4"])
    #expect(valueNext.arguments.value("partition") == "4")
  }

  @Test("a value-taking flag takes the next element even when it starts with a dash")
  func dashValues() throws {
    #expect(try parse(["consume", "t", "--from", "-10"]).arguments.value("from") == "-10")
    #expect(try parse(["group", "reset", "g", "--topic", "t", "--shift-by", "-5"]).arguments.value("shift-by") == "-5")
  }

  @Test("-- ends options and a lone - is a positional")
  func terminatorAndDash() throws {
    let invocation = try parse(["produce", "--", "-weird"])
    #expect(invocation.arguments.positionals == ["-weird"])
    #expect(try parse(["produce", "-"]).arguments.positionals == ["-"])
    #expect(try parse(["topic", "delete", "a", "--", "--help"]).arguments.positionals == ["a", "--help"])
  }

  @Test("global flags are accepted before and after the command words")
  func globalFlags() throws {
    let before = try parse(["--dir", "/d", "consume", "t"])
    let after = try parse(["consume", "t", "--dir=/d"])
    let between = try parse(["topic", "--dir", "/d", "list"])
    for invocation in [before, after, between] {
      #expect(invocation.arguments.globalDirectory == "/d")
      #expect(invocation.arguments.value("dir") == "/d")
    }
    #expect(between.command?.path == ["topic", "list"])
  }

  @Test("repeatable flags keep every value in order")
  func repeatable() throws {
    let invocation = try parse(["produce", "t", "-H", "a=1", "--header", "b=2", "-Hc=3"])
    #expect(invocation.arguments.values("header") == ["a=1", "b=2", "c=3"])
    #expect(invocation.arguments.value("header") == "c=3")
    let partitions = try parse(["consume", "t", "-p", "0,2", "-p", "5"])
    #expect(try partitions.arguments.partitionNumbers("partition", below: 8) == [0, 2, 5])
  }

  @Test("a partition list with an empty item or a number out of range is refused naming the value", arguments: [
    ["-p", ","], ["-p", "1,"], ["-p", ",1"], ["-p", "1,,2"], ["-p", ""], ["-p", "0", "-p", "9"], ["-p", "x"], ["--partition=-1"],
  ])
  func partitionListRefused(flags: [String]) throws {
    let invocation = try parse(["consume", "t"] + flags)
    let error = #expect(throws: UsageError.self) { try invocation.arguments.partitionNumbers("partition", below: 8) }
    guard case .invalidValue(_, let value, _)? = error?.problem else {
      Issue.record("not an invalid value: \(String(describing: error))")
      return
    }
    #expect(invocation.arguments.values("partition").contains(value))
  }

  @Test("help is asked for by -h, --help, 'kq help' or kq alone")
  func help() throws {
    #expect(try parse([]) == Invocation(command: nil, path: [], arguments: ParsedArguments(), wantsHelp: true, wantsVersion: false))
    let consume = try parse(["consume", "--help"])
    #expect(consume.wantsHelp && consume.command?.path == ["consume"])
    #expect(try parse(["-h"]).wantsHelp)
    let group = try parse(["topic", "-h"])
    #expect(group.wantsHelp && group.command == nil && group.path == ["topic"])
    let word = try parse(["help", "topic", "create"])
    #expect(word.wantsHelp && word.command?.path == ["topic", "create"])
  }

  @Test("help wins over usage errors once the command is known")
  func helpWins() throws {
    let invocation = try parse(["consume", "--bogus", "--help"])
    #expect(invocation.wantsHelp && invocation.command?.path == ["consume"])
    #expect(try parse(["group", "reset", "g", "-h"]).wantsHelp)  // --topic and --to-* missing
  }

  @Test("--version is asked for before or after a command")
  func version() throws {
    #expect(try parse(["--version"]).wantsVersion)
    #expect(try parse(["consume", "--version"]).wantsVersion)
  }

  @Test("closed choices are accepted, open ones pass through")
  func choices() throws {
    #expect(try parse(["produce", "t", "--sync", "none"]).arguments.value("sync") == "none")
    #expect(try parse(["consume", "t", "--from", "@1700000000000"]).arguments.value("from") == "@1700000000000")
  }

  @Test("the tokenizer classifies long, short, positional and terminator elements")
  func tokens() {
    #expect(Tokenizer.tokenize(["--a=b", "-xy", "-", "w", "--", "-z"]) == [
      .long(name: "a", value: "b"), .shorts(["x", "y"]), .positional("-"), .positional("w"), .terminator,
      .positional("-z"),
    ])
  }
}
