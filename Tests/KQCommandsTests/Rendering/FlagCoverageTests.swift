import Testing

@testable import KQCommands

/// Every flag of every command appears in its --help, in the man page and in all three
/// completion files on disk (issue 3, "Manners").
@Suite("Flag coverage")
struct FlagCoverageTests {
  /// Every (command, flag) pair, global flags included for each command.
  static let pairs: [(command: CommandSpec, flag: FlagSpec)] = CommandTree.commands.flatMap { command in
    (command.flags + CommandTree.globalFlags).map { (command, $0) }
  }

  @Test("--help of each command names each of its flags, long and short")
  func help() {
    for (command, flag) in Self.pairs {
      let text = HelpText.render(command)
      #expect(text.contains(flag.longForm), "\(command.name) --help lacks \(flag.longForm)")
      if let short = flag.shortForm {
        #expect(text.contains(short + ", " + flag.longForm), "\(command.name) --help lacks \(short)")
      }
    }
  }

  @Test("the man page names each flag of each command in that command's section")
  func manPage() throws {
    let man = try PackageRoot.read("man/kq.1")
    let sections = man.components(separatedBy: ".SS ")
    for (command, flag) in Self.pairs {
      let section = command.flags.contains(flag)
        ? sections.first { $0.hasPrefix("\"kq \(command.name)\"") } ?? ""
        : man
      let long = ManPage.escape(flag.longForm)
      #expect(section.contains("\\fB\(long)\\fR"), "man page lacks \(flag.longForm) for \(command.name)")
      if let short = flag.shortForm {
        #expect(section.contains("\\fB\(ManPage.escape(short))\\fR, \\fB\(long)\\fR"), "man page lacks \(short)")
      }
    }
  }

  @Test("every completion file names each flag of each command", arguments: ["completions/kq.bash", "completions/_kq", "completions/kq.fish"])
  func completions(file: String) throws {
    let text = try PackageRoot.read(file)
    for (command, flag) in Self.pairs {
      let isFish = file.hasSuffix(".fish")
      let long = isFish ? "-l " + flag.long : flag.longForm
      #expect(text.contains(long), "\(file) lacks \(flag.longForm) of \(command.name)")
      if let short = flag.short {
        #expect(text.contains(isFish ? "-s \(short) -l \(flag.long)" : "-\(short)"), "\(file) lacks -\(short) of \(command.name)")
      }
    }
    for command in CommandTree.commands {
      #expect(text.contains(command.path.last ?? ""), "\(file) lacks the command \(command.name)")
    }
  }

  @Test("every rule names flags its command has, and every example names a command of the tree")
  func treeConsistency() {
    for command in CommandTree.commands {
      var longs: [String] = []
      for rule in command.rules {
        switch rule {
        case .required(let long): longs.append(long)
        case .exactlyOne(let list), .atLeastOne(let list), .atMostOne(let list): longs += list
        case .requires(let a, let b): longs += [a, b]
        }
      }
      for long in longs { #expect(command.flag(long) != nil, "\(command.name) has a rule about unknown --\(long)") }
      #expect((2...4).contains(command.examples.count) || command.path == ["group", "delete"])
      for example in command.examples {
        #expect(example.command.contains("kq " + command.name), "\(example.command)")
      }
      let spellings = (command.flags + CommandTree.globalFlags).flatMap { [$0.longForm] + ($0.shortForm.map { [$0] } ?? []) }
      #expect(Set(spellings).count == spellings.count, "\(command.name) has a flag spelled twice")
    }
  }
}
