/// Every command and flag of kq, as data. The parser, `--help`, `man/kq.1` and the completion
/// scripts are all generated from this tree.
package enum CommandTree {
  /// Accepted before or after the command words (`kq --dir d consume t`, `kq consume t --dir d`).
  package static let globalFlags: [FlagSpec] = [
    FlagSpec(
      "dir", value: "PATH", completion: .directory,
      help: "Use the data directory PATH (default: $KQ_DIR, else $XDG_DATA_HOME/kq, else ~/.local/share/kq)."),
    FlagSpec(
      "brokers", value: "HOST:PORT[,...]",
      help: "Work on the Kafka cluster these brokers lead to instead of a data directory (default: $KQ_BROKERS; "
        + "--dir wins over both)."),
    FlagSpec(
      "broker-timeout", value: "DURATION",
      help: "With --brokers: fail an operation the cluster does not complete within DURATION, e.g. 10s (default 30s). A follower (consume -f) that has reached the cluster once waits out an outage instead, with one warning."),
    FlagSpec("help", short: "h", help: "Show help for kq or for the command, and exit."),
    FlagSpec("version", help: "Print kq's version and exit."),
  ]

  /// `--session-timeout`, for the commands that join a group: on a cluster the member's
  /// session; locally nothing (a lease ends with its process), and the help says so.
  static let sessionTimeoutFlag = FlagSpec(
    "session-timeout", value: "DURATION",
    help: "On a cluster (--brokers): how long the group keeps the partitions of a member that stopped "
      + "sending heartbeats (a process killed) before it gives them to the others, from 100ms to 1h "
      + "(default 6s, the least Kafka brokers allow unless group.min.session.timeout.ms is lower); "
      + "kq sends a heartbeat every third of it, and a rebalance waits as long for the members. "
      + "Locally a group's partitions are leases, free the moment their process ends: nothing to wait for.")

  /// In the order help, the man page and completions list them.
  package static let commands: [CommandSpec] =
    topicCommands + [produce, consume, pipe, mirror, describe, verify] + groupCommands

  /// Words that only group subcommands (`kq topic create`), with their summaries.
  package static let groups: [(word: String, summary: String)] = [
    ("topic", "Create, list, alter and delete topics"),
    ("group", "List, inspect, reset and delete consumer groups"),
  ]

  /// The command named exactly by `path`, or nil.
  package static func command(_ path: [String]) -> CommandSpec? {
    commands.first { $0.path == path }
  }

  /// Whether `path` names a group of commands (`["topic"]`).
  package static func isGroup(_ path: [String]) -> Bool {
    path.count == 1 && groups.contains { $0.word == path[0] }
  }

  /// The commands directly under `path`: `["create", "list", ...]` for `["topic"]`.
  package static func subcommands(of path: [String]) -> [String] {
    var words: [String] = []
    for command in commands where command.path.count > path.count && Array(command.path.prefix(path.count)) == path {
      let word = command.path[path.count]
      if !words.contains(word) { words.append(word) }
    }
    return words
  }

  /// The summary of the word after `path`: a command's, or a group's.
  package static func summary(of path: [String]) -> String {
    if let command = command(path) { return command.summary }
    return groups.first { [$0.word] == path }?.summary ?? ""
  }
}
