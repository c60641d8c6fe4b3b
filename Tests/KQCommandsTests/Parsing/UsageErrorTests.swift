import Testing

@testable import KQCommands

@Suite("Usage errors and their rendered text")
struct UsageErrorTests {
  func rendered(_ arguments: [String]) -> String? {
    do {
      _ = try CommandLineParser.parse(arguments)
      return nil
    } catch {
      return error.rendered(programName: "kq")
    }
  }

  @Test("an unknown command suggests the nearest one")
  func unknownCommand() {
    #expect(rendered(["consme", "t"]) == """
      kq: error: unknown command 'consme' (hint: did you mean 'consume'?)
      usage: kq COMMAND [options]

      """)
    #expect(rendered(["topic", "crate", "t"]) == """
      kq: error: unknown command 'topic crate' (hint: did you mean 'topic create'?)
      usage: kq topic (create | list | delete | alter | compact) ...

      """)
    #expect(rendered(["frobnicate"]) == """
      kq: error: unknown command 'frobnicate' (hint: see 'kq --help')
      usage: kq COMMAND [options]

      """)
  }

  @Test("a subcommand word alone points to its group")
  func groupWordAlone() throws {
    #expect(throws: UsageError(.unknownCommand("create", suggestions: ["topic create"]), commandPath: [])) {
      try CommandLineParser.parse(["create"])
    }
    #expect(throws: UsageError(.unknownCommand("list", suggestions: ["topic list", "group list"]), commandPath: [])) {
      try CommandLineParser.parse(["list"])
    }
  }

  @Test("a group without a command lists its commands")
  func missingSubcommand() {
    #expect(rendered(["topic"]) == """
      kq: error: 'kq topic' needs a command: create, list, delete, alter or compact (hint: see 'kq topic --help')
      usage: kq topic (create | list | delete | alter | compact) ...

      """)
  }

  @Test("an unknown flag suggests the nearest flag of that command")
  func unknownFlag() {
    #expect(rendered(["topic", "create", "t", "--partiton", "3"]) == """
      kq: error: unknown option '--partiton' (hint: did you mean '--partitions'?)
      usage: kq topic create NAME [--partitions N] [--retention DURATION] [--config KEY=VALUE]... [--if-not-exists]

      """)
    #expect(rendered(["consume", "t", "-x"]) == """
      kq: error: unknown option '-x' (hint: see 'kq consume --help')
      usage: kq consume TOPIC [options]

      """)
    #expect(rendered(["consume", "t", "-partition", "1"]) == """
      kq: error: unknown option '-partition' (hint: did you mean '--partition'?)
      usage: kq consume TOPIC [options]

      """)
    #expect(rendered(["produce", "t", "--follow"]) == """
      kq: error: unknown option '--follow' (hint: see 'kq produce --help')
      usage: kq produce TOPIC [options]

      """)
  }

  @Test("a flag without its value names the value")
  func missingValue() {
    #expect(rendered(["consume", "t", "-p"]) == """
      kq: error: option '-p' needs a value (hint: write '-p N[,N...]')
      usage: kq consume TOPIC [options]

      """)
    #expect(rendered(["--dir"]) == """
      kq: error: option '--dir' needs a value (hint: write '--dir PATH')
      usage: kq COMMAND [options]

      """)
  }

  @Test("a switch given a value is refused")
  func valueForBoolean() {
    #expect(rendered(["topic", "list", "--json=yes"]) == """
      kq: error: option '--json' takes no value, but was given 'yes' (hint: write '--json' alone)
      usage: kq topic list [--json]

      """)
  }

  @Test("a non-repeatable flag given twice is refused")
  func repeated() {
    #expect(rendered(["produce", "t", "-p", "1", "--partition", "2"]) == """
      kq: error: option '--partition' was given more than once (hint: give it once)
      usage: kq produce TOPIC [options]

      """)
  }

  @Test("positional argument counts are checked")
  func positionals() {
    #expect(rendered(["consume"]) == """
      kq: error: 'kq consume' needs TOPIC (hint: see 'kq consume --help')
      usage: kq consume TOPIC [options]

      """)
    #expect(rendered(["consume", "a", "b"]) == """
      kq: error: unexpected argument 'b' (hint: see 'kq consume --help')
      usage: kq consume TOPIC [options]

      """)
    #expect(rendered(["topic", "delete"]) != nil)
    #expect(rendered(["topic", "delete", "a", "b", "c"]) == nil)
    #expect(rendered(["describe"]) == nil)
  }

  @Test("closed choices are checked, with a suggestion when close")
  func choices() {
    #expect(rendered(["produce", "t", "--sync", "bach"]) == """
      kq: error: invalid value 'bach' for '--sync' (hint: did you mean 'batch'?)
      usage: kq produce TOPIC [options]

      """)
    #expect(rendered(["produce", "t", "--sync=sometimes"]) == """
      kq: error: invalid value 'sometimes' for '--sync' (hint: use exit, batch or none)
      usage: kq produce TOPIC [options]

      """)
  }

  @Test("flag rules: required, exactly one, at least one, at most one, requires")
  func rules() {
    let reset = "usage: kq group reset GROUP --topic TOPIC (--to-earliest | --to-latest | --to-offset N | --to-datetime TIME | --shift-by N) [--partition N[,N...]]... [--execute] [--json]\n"
    #expect(rendered(["group", "reset", "g", "--to-latest"]) == """
      kq: error: 'kq group reset' needs '--topic' (hint: add '--topic TOPIC')

      """ + reset)
    #expect(rendered(["group", "reset", "g", "--topic", "t"]) == """
      kq: error: 'kq group reset' needs one of '--to-earliest', '--to-latest', '--to-offset', '--to-datetime' or '--shift-by' (hint: see 'kq group reset --help')

      """ + reset)
    #expect(rendered(["group", "reset", "g", "--topic", "t", "--to-latest", "--shift-by", "1"]) == """
      kq: error: options '--to-latest' and '--shift-by' cannot be used together (hint: keep one of them)

      """ + reset)
    #expect(rendered(["topic", "alter", "t"])?.hasPrefix(
      "kq: error: 'kq topic alter' needs one of '--config', '--retention' or '--partitions'") == true)
    #expect(rendered(["produce", "t", "--json", "-0"])?.hasPrefix(
      "kq: error: options '--null' and '--json' cannot be used together (hint: keep one of them)\n") == true)
    #expect(rendered(["consume", "t", "--idle", "1m"]) == """
      kq: error: option '--idle' only works with '--follow' (hint: add '--follow' or drop '--idle')
      usage: kq consume TOPIC [options]

      """)
  }

  @Test("commands report bad values through the same error")
  func invalidValue() throws {
    let arguments = try CommandLineParser.parse(["topic", "create", "t", "--partitions", "x"]).arguments
    #expect(arguments.invalidValue("partitions", hint: "give a whole number from 1 to 10000").rendered() == """
      kq: error: invalid value 'x' for '--partitions' (hint: give a whole number from 1 to 10000)
      usage: kq topic create NAME [--partitions N] [--retention DURATION] [--config KEY=VALUE]... [--if-not-exists]

      """)
  }

  @Test("edit distance counts a swap of neighbours as one step")
  func editDistance() {
    #expect(Suggestion.editDistance(Array("cosnume"), Array("consume")) == 1)
    #expect(Suggestion.editDistance(Array(""), Array("abc")) == 3)
    #expect(Suggestion.closest(to: "cons", among: ["consume", "produce"]) == ["consume"])
    #expect(Suggestion.closest(to: "zzz", among: ["consume", "produce"]) == [])
  }
}
