/// `man/kq.1`, rendered from `CommandTree` as man(7) roff.
package enum ManPage {
  package static func render(version: String) -> String {
    var out: [String] = [
      ".\\\" Generated from CommandTree by GeneratedFiles; do not edit by hand.",
      ".TH KQ 1 \"\" \"kq \(version)\" \"User Commands\"",
      ".nh",
      ".ad l",
      ".SH NAME",
      "kq \\- " + escape(HelpText.tagline),
      ".SH SYNOPSIS",
    ]
    out += CommandTree.commands.flatMap { [".br", "\\fBkq \($0.name)\\fR " + escape($0.synopsis)] }
    out += [".SH DESCRIPTION"]
    out += paragraphs(HelpText.about)
    out += paragraphs("""
      Global options are accepted before or after the command words. Every flag and argument is \
      checked before the data directory is opened. Data goes to stdout and diagnostics to stderr, \
      as 'kq: error: WHAT (hint: WHAT TO DO)'.
      """)
    out.append(".SH OPTIONS")
    out += CommandTree.globalFlags.flatMap(flagItem)
    out.append(".SH COMMANDS")
    for command in CommandTree.commands { out += section(command) }
    out += environment + files + exitStatus
    out += [".SH SEE ALSO", "\\fBkafka\\-console\\-consumer\\fR(1), \\fBkcat\\fR(1), \\fBcron\\fR(8)"]
    return out.joined(separator: "\n") + "\n"
  }

  static func section(_ command: CommandSpec) -> [String] {
    var out = [".SS \"kq \(command.name)\"", escape(command.summary) + ".", ".PP",
               "\\fBkq \(command.name)\\fR " + escape(command.synopsis)]
    out += paragraphs(command.discussion)
    for argument in command.arguments {
      out += [".TP", "\\fI\(escape(argument.synopsis))\\fR", escape(argument.help)]
    }
    out += command.flags.flatMap(flagItem)
    out += [".PP", "Examples:"]
    for example in command.examples {
      out += [".PP", ".RS 4", ".nf", "\\fB\(escape(example.command))\\fR", ".fi", ".RS 4",
              escape(example.explanation), ".RE", ".RE"]
    }
    return out
  }

  /// `.TP` with `\fB\-p\fR, \fB\-\-partition\fR \fIN\fR` as the tag.
  static func flagItem(_ flag: FlagSpec) -> [String] {
    var tag = flag.shortForm.map { "\\fB\(escape($0))\\fR, " } ?? ""
    tag += "\\fB\(escape(flag.longForm))\\fR"
    if let valueName = flag.valueName { tag += " \\fI\(escape(valueName))\\fR" }
    return [".TP", tag, escape(flag.help)]
  }

  static func paragraphs(_ text: String) -> [String] {
    TextWrap.paragraphTexts(text).flatMap { [".PP", escape($0)] }
  }

  static var environment: [String] {
    [".SH ENVIRONMENT"] + items([
      ("KQ_DIR", "The data directory, when --dir is not given."),
      ("KQ_BROKERS", "HOST:PORT[,...] of a Kafka cluster to work on, when neither --dir nor --brokers is given; it wins over KQ_DIR."),
      ("XDG_DATA_HOME", "Without --dir and KQ_DIR, the data directory is $XDG_DATA_HOME/kq. A relative value is ignored."),
      ("HOME", "Without the above, the data directory is ~/.local/share/kq."),
      ("NO_COLOR", "When set to a non-empty value, kq writes no colour. kq never colours a pipe."),
      ("KQ_TOPIC, KQ_PARTITION, KQ_FIRST_OFFSET, KQ_LAST_OFFSET, KQ_GROUP",
       "Set by kq consume --exec for its command: the batch's topic, partition, first and last offset (both inclusive) and group."),
    ])
  }

  static var files: [String] {
    [".SH FILES"] + paragraphs("""
      The data directory is the one --dir names, else $KQ_DIR, else $XDG_DATA_HOME/kq, else \
      ~/.local/share/kq. Inside it:
      """) + items([
        ("kq-format", "The format marker; a newer format than this kq reads is refused (exit 69)."),
        ("topics.lock", "Locked while a topic is created, altered or deleted, so that any number of kq processes may do so at once."),
        ("topics/TOPIC/config", "The topic's configuration, one KEY=VALUE line per key."),
        ("TOPIC-N/", "Partition N of TOPIC, named as Kafka names it: segment files BASE.log with their .index and .timeindex, and kq.lock."),
        ("groups/GROUP/TOPIC/N.offset", "The committed offset of GROUP for partition N of TOPIC."),
        ("groups/GROUP/TOPIC/N.lease", "The lease that lets one process of GROUP at a time read partition N."),
        ("deleted/TOPIC-N/", "A partition of a deleted topic, moved out of its name while it is removed."),
      ], font: "I")
  }

  static var exitStatus: [String] {
    [".SH EXIT STATUS"] + items([
      ("0", "Success."),
      ("1", "A runtime failure not listed below."),
      ("64", "Usage error: an unknown command or option, a missing or malformed argument."),
      ("65", "Bad input data: a malformed --json line, a record over max.message.bytes (in kq pipe, written by its command)."),
      ("66", "A topic, group or data directory that does not exist."),
      ("69", "The data directory was written by a newer format version of kq; or, with --brokers, no broker could be "
        + "reached in time, one wants TLS or SASL, it lacks what the command needs, or a produce's answer was lost."),
      ("73", "The directory is not a kq data directory (not empty, no kq-format file), so kq will not write there."),
      ("74", "An I/O error, or corruption found in the data directory."),
      ("75", "Every partition is leased by another consumer of the group; retry later, or use --wait. "
        + "Also kq pipe's command running past --timeout."),
      ("127", "The command given to kq pipe after -- was not found."),
      ("130", "Interrupted by Ctrl-C (SIGINT); 143 when terminated by SIGTERM."),
    ]) + paragraphs(
      "When the command of kq consume --exec or kq pipe fails, kq exits with that command's exit status "
        + "(128 + N when signal N killed it). "
        + "kq consume piped into a reader that exits early (| head) exits 0 quietly.\n\n"
        + "When stdout cannot be written, the status says whether the work was done. Where the output is the "
        + "work (records, lists, tables, help, --version, --print-offsets, the plan of a dry run), kq exits 74, "
        + "and refuses with 74 before it acts when stdout was closed at start. Where the work is a change "
        + "(topic create, alter and delete, group delete, group reset --execute), the change stands: kq warns "
        + "on stderr that its confirmation was lost and exits 0.")
  }

  static func items(_ items: [(String, String)], font: String = "B") -> [String] {
    items.flatMap { [".TP", "\\f\(font)\(escape($0.0))\\fR", escape($0.1)] }
  }

  /// Text for a roff text line: backslashes as `\e`, hyphens as `\-`, a leading `.` or `'`
  /// (which would start a request) guarded with `\&`, and in words too long for a line
  /// (`{"key":...,"value":...}`) a break point `\:` after each comma.
  package static func escape(_ text: String) -> String {
    var out = ""
    var wordLength = 0
    for (index, character) in text.enumerated() {
      switch character {
      case "\\": out += "\\e"
      case "-": out += "\\-"
      default: out.append(character)
      }
      wordLength = character == " " ? 0 : wordLength + 1
      if character == ",", wordLength > 1, isLongWord(in: text, around: index) { out += "\\:" }
    }
    if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
    return out
  }

  private static func isLongWord(in text: String, around offset: Int) -> Bool {
    let characters = Array(text)
    var start = offset
    var end = offset
    while start > 0 && characters[start - 1] != " " { start -= 1 }
    while end < characters.count - 1 && characters[end + 1] != " " { end += 1 }
    return end - start + 1 > 30
  }
}
