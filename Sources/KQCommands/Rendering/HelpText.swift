/// `kq --help`, `kq topic --help` and `kq COMMAND --help`, rendered from `CommandTree`.
/// Plain text, no colour, at most 80 columns except for long example commands.
package enum HelpText {
  /// One line about kq, shared with the man page's NAME.
  package static let tagline = "Apache Kafka's topics, partitions, offsets and consumer groups in a local directory"

  package static let about = """
    kq keeps Kafka's model (topics split into partitions, records addressed by offset, consumer \
    groups that commit their position) in a data directory on this machine, in Kafka's own \
    segment format. It reads records from stdin, writes them to stdout, and needs no server.
    """

  /// The help `invocation` asks for: a command's, a group's (`kq topic --help`) or kq's.
  package static func render(for invocation: Invocation) -> String {
    if let command = invocation.command { return render(command) }
    if CommandTree.isGroup(invocation.path) { return renderGroup(invocation.path) }
    return renderTopLevel()
  }

  package static func render(_ command: CommandSpec) -> String {
    var sections: [String] = []
    sections.append("usage: " + UsageError.usageLine(for: command.path))
    sections.append(command.summary + ".")
    sections.append(TextWrap.paragraphs(command.discussion, indent: 0))
    if !command.arguments.isEmpty {
      sections.append("Arguments:\n" + TextWrap.table(command.arguments.map { ($0.name, $0.help) }))
    }
    if !command.flags.isEmpty {
      sections.append("Options:\n" + flagTable(command.flags))
    }
    sections.append("Global options:\n" + flagTable(CommandTree.globalFlags))
    sections.append("Examples:\n" + examples(command.examples))
    return sections.joined(separator: "\n\n") + "\n"
  }

  package static func renderGroup(_ path: [String]) -> String {
    let commands = CommandTree.subcommands(of: path).map { word in
      (label: word, text: CommandTree.summary(of: path + [word]))
    }
    let name = path.joined(separator: " ")
    return [
      "usage: " + UsageError.usageLine(for: path),
      CommandTree.summary(of: path) + ".",
      "Commands:\n" + TextWrap.table(commands),
      "Global options:\n" + flagTable(CommandTree.globalFlags),
      "See 'kq \(name) COMMAND --help' for a command's options and examples.",
    ].joined(separator: "\n\n") + "\n"
  }

  package static func renderTopLevel() -> String {
    let commands = CommandTree.commands.map { (label: $0.name, text: $0.summary) }
    return [
      "kq: " + tagline,
      "usage: " + UsageError.usageLine(for: []),
      TextWrap.paragraphs(about, indent: 0),
      "Commands:\n" + TextWrap.table(commands),
      "Global options (before or after the command):\n" + flagTable(CommandTree.globalFlags),
      "See 'kq COMMAND --help' for a command's options and examples, and 'man kq' for\n"
        + "exit statuses, environment variables and the data directory.",
    ].joined(separator: "\n\n") + "\n"
  }

  /// `-p, --partition N` in a column, short flags lined up under each other.
  static func flagTable(_ flags: [FlagSpec]) -> String {
    TextWrap.table(flags.map { flag in
      (label: (flag.short == nil ? "    " : "") + flag.label, text: flag.help)
    })
  }

  static func examples(_ examples: [Example]) -> String {
    examples.map { example in
      "  " + example.command + "\n" + TextWrap.lines(example.explanation, indent: 6).joined(separator: "\n")
    }.joined(separator: "\n")
  }
}
