import Foundation
import KQTestSupport
import Testing

/// Exit statuses, help, usage errors and global flags, as a shell script sees them.
@Suite("exit statuses and usage")
struct ExitStatusTests {
  static let commands: [[String]] = [
    [], ["topic"], ["group"], ["topic", "create"], ["topic", "list"], ["topic", "delete"], ["topic", "alter"],
    ["produce"], ["consume"], ["describe"], ["group", "list"], ["group", "describe"], ["group", "reset"],
    ["group", "delete"],
  ]

  @Test("--help and -h print help on stdout and exit 0 for every command", arguments: commands)
  func help(command: [String]) throws {
    for flag in ["--help", "-h"] {
      let result = try KQProcess.run(command + [flag], directory: "/nonexistent/kq", stdin: [])
      #expect(result.status == 0 && result.errors == "", "\(result)")
      #expect(result.output.hasPrefix("usage: kq") || result.output.hasPrefix("kq: "), "\(result)")
      #expect(result.output.contains("usage: kq" + command.map { " " + $0 }.joined()), "\(result)")
    }
  }

  /// Arguments and the start of the first stderr line.
  static let usageErrors: [([String], String)] = [
    (["consme"], "kq: error: unknown command 'consme' (hint: did you mean 'consume'?)"),
    (["topic", "crate", "x"], "kq: error: unknown command 'topic crate' (hint: did you mean 'topic create'?)"),
    (["consume", "t", "--folow"], "kq: error: unknown option '--folow' (hint: did you mean '--follow'?)"),
    (["produce", "t", "--prnt-offsets"], "kq: error: unknown option '--prnt-offsets' (hint: did you mean '--print-offsets'?)"),
    (["consume"], "kq: error: 'kq consume' needs TOPIC"),
    (["topic"], "kq: error: 'kq topic' needs a command"),
    (["consume", "t", "--max"], "kq: error: option '--max' needs a value"),
    (["consume", "t", "-n", "x"], "kq: error: invalid value 'x' for '-n'"),
    (["consume", "t", "--from", "yesterday"], "kq: error: invalid value 'yesterday' for '--from'"),
    (["consume", "t", "--since", "5q"], "kq: error: invalid value '5q' for '--since'"),
    (["consume", "t", "--json", "--null"], "kq: error: options "),
    (["consume", "t", "--no-commit"], "kq: error: option '--no-commit' only works with '--group'"),
    (["topic", "create", "x", "--partitions", "0"], "kq: error: invalid value '0' for '--partitions'"),
    (["topic", "create", "a b"], "kq: error: invalid value 'a b' for NAME"),
    (["topic", "create", "x", "--retention", "5q"], "kq: error: invalid value '5q' for '--retention'"),
    (["topic", "create", "x", "--config", "segment.bytes=1zz"], "kq: error: invalid value '1zz' for '--config segment.bytes'"),
    (["topic", "create", "x", "--config", "no.such.key=1"], "kq: error: "),
    (["produce", "t", "--sync", "sometimes"], "kq: error: invalid value 'sometimes' for '--sync'"),
    (["produce", "t", "--json", "-0"], "kq: error: options "),
    (["group", "reset", "g", "--topic", "t"], "kq: error: 'kq group reset' needs one of"),
    (["describe", "t", "extra"], "kq: error: unexpected argument 'extra'"),
    (["topic", "create", "t", "--dir", ""], "kq: error: invalid value '' for '--dir'"),
    (["--dir=", "produce", "t", "--create"], "kq: error: invalid value '' for '--dir' (hint: give the path"),
  ]

  @Test("usage errors exit 64 with 'kq: error:' first, before the data directory is touched", arguments: usageErrors)
  func usageError(arguments: [String], start: String) throws {
    let kq = try KQSandbox()
    let result = try kq.run(arguments, stdin: [])
    #expect(result.status == 64, "\(result)")
    #expect(result.firstErrorLine.hasPrefix(start), "\(result)")
    #expect(result.errors.contains("\nusage: kq"), "\(result)")
    #expect(result.output == "")
    #expect(!FileManager.default.fileExists(atPath: kq.path), "a usage error created the data directory")
  }

  @Test("--dir is accepted before and after the command, and wins over KQ_DIR")
  func dirBeforeAndAfter() throws {
    let kq = try KQSandbox()
    let other = kq.file("other")
    try KQProcess.run(["--dir", other, "topic", "create", "before"], directory: kq.path, stdin: []).checked()
    try KQProcess.run(["topic", "create", "after", "--dir", other], directory: kq.path, stdin: []).checked()
    try KQProcess.run(["topic", "create", "equals", "--dir=" + other], directory: nil, stdin: []).checked()
    let listed = try KQProcess.run(["topic", "list", "--dir", other], directory: nil, stdin: []).checked()
    #expect(listed.output == "after\nbefore\nequals\n")
    #expect(try kq.run("topic", "list").output == "")
  }

  @Test("NO_COLOR and TERM change nothing in a pipe: the same bytes on stdout and stderr")
  func noColorInPipes() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\nb\n")
    for arguments in [["consume", "t"], ["describe", "t"], ["consume", "t", "--bogus"], ["produce", "missing"]] {
      let plain = try kq.run(arguments, stdin: [], environment: ["TERM": "xterm-256color"])
      let noColor = try kq.run(arguments, stdin: [], environment: ["NO_COLOR": "1", "TERM": "xterm-256color"])
      #expect(plain.stdout == noColor.stdout && plain.stderr == noColor.stderr && plain.status == noColor.status)
      #expect(!plain.stdout.contains(27) && !plain.stderr.contains(27), "escape codes in a pipe: \(plain)")
    }
  }

  @Test("an output device that is full and an input that cannot be read exit 74 naming the stream")
  func ioErrors() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\n")
    let full = try kq.shell("kq consume t > /dev/full")
    #expect(full.status == 74, "\(full)")
    #expect(full.errors == "kq: error: cannot write standard output: No space left on device (hint: free some space where the output goes)\n")
    let directory = try kq.shell("kq produce t < .")
    #expect(directory.status == 74, "\(directory)")
    #expect(directory.errors == "kq: error: cannot read standard input: Is a directory; 0 records before it were stored\n")
  }

  @Test("--version prints the version on stdout and exits 0")
  func version() throws {
    let result = try KQProcess.run(["--version"], directory: nil, stdin: [])
    #expect(result.status == 0 && result.output.hasPrefix("kq ") && result.errors == "", "\(result)")
  }

  @Test("a missing topic in consume, describe and topic alter exits 66")
  func missingTopicStatus() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "present")
    for arguments in [["consume", "absent"], ["describe", "absent"], ["topic", "alter", "absent", "--retention", "1d"],
                      ["topic", "delete", "absent"]] {
      let result = try kq.run(arguments, stdin: [])
      #expect(result.status == 66 && result.firstErrorLine.hasPrefix("kq: error: topic 'absent' does not exist"), "\(result)")
    }
  }

  @Test("a malformed broker list exits 64 before anything connects, naming --brokers or KQ_BROKERS; --brokers beside --dir too")
  func malformedBrokerList() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    for (flags, item, reason) in [
      (["--brokers", "bad:"], "", "the port must be a number from 1 to 65535"), (["--brokers", "a:1,b:x"], "'b:x': ", "the port must"),
      (["--brokers", "a:1,,b:2"], "", "an empty item in the list"), (["--brokers", "tcp://a:1"], "", "a broker is HOST:PORT, without 'tcp://'"),
    ] {
      for dir in [[], ["--dir", kq.path]] {
        let result = try kq.run(flags + dir + ["topic", "list"], stdin: [])
        #expect(result.status == 64 && result.output == "", "\(result)")
        #expect(result.firstErrorLine.hasPrefix("kq: error: invalid value '\(flags[1])' for '--brokers' (hint: \(item)\(reason)"), "\(result)")
      }
    }
    let fromEnvironment = try kq.run(["produce", "t"], stdin: Array("a\n".utf8), environment: ["KQ_BROKERS": "bad:"])
    #expect(fromEnvironment.status == 64, "\(fromEnvironment)")
    #expect(
      fromEnvironment.firstErrorLine.hasPrefix("kq: error: KQ_BROKERS='bad:' is not a broker list: the port must be a number from 1 to 65535 (hint: "),
      "\(fromEnvironment)")
    // KQ_BROKERS is a default that --dir overrides: not used, not judged.
    _ = try kq.run(["--dir", kq.path, "topic", "create", "local"], stdin: []).checked()
    let local = try kq.run(["--dir", kq.path, "consume", "local"], stdin: [], environment: ["KQ_BROKERS": "bad:"])
    #expect(local.status == 0 && local.errors == "", "\(local)")
    #expect(try kq.ok("consume", "t").output == "")
  }
}

/// What the exit status says when stdout cannot be written: whether the command's work was
/// done. Output that is the work fails with 74; a change stands, and only warns that its
/// confirmation was lost.
@Suite("stdout write failures")
struct OutputFailureTests {
  static let fullDevice = "kq: error: cannot write standard output: No space left on device (hint: free some space where the output goes)\n"

  @Test("--help, -h, help with no command, and --version into a full device exit 74", arguments: [
    ["--help"], ["topic", "create", "-h"], [], ["group", "--help"], ["--version"],
  ])
  func helpAndVersion(arguments: [String]) throws {
    let kq = try KQSandbox()
    let result = try kq.shell("kq " + arguments.joined(separator: " ") + " > /dev/full")
    #expect(result.status == 74 && result.errors == Self.fullDevice, "\(result)")
  }

  @Test("lists, tables, a dry run's plan and --print-offsets into a full device exit 74")
  func outputIsTheWork() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\nb\n")
    try kq.ok("consume", "t", "--group", "g")
    for command in [
      "topic list", "topic list --json", "describe t", "group list", "group describe g",
      "group reset g --topic t --to-earliest", "consume t",
    ] {
      let result = try kq.shell("kq \(command) > /dev/full")
      #expect(result.status == 74, "\(command): \(result)")
      #expect(result.errors.hasSuffix(Self.fullDevice), "\(command): \(result)")
    }
    let offsets = try kq.shell("echo c | kq produce t --print-offsets > /dev/full")
    #expect(offsets.status == 74, "\(offsets)")
    #expect(
      offsets.errors == "kq: error: cannot write standard output: No space left on device; 1 record before it was stored "
        + "(hint: free some space where the output goes)\n", "\(offsets)")
    #expect(try kq.committed("g", topic: "t") == [2], "a dry run changed the group")
  }

  @Test("a change whose confirmation cannot be written is made all the same: a warning, exit 0")
  func changeStands() throws {
    let kq = try KQSandbox()
    let warning = "kq: warning: cannot write standard output: No space left on device; the change itself was made\n"
    for command in ["topic create t", "topic create u --partitions 2", "topic alter t --retention 1d"] {
      let result = try kq.shell("kq \(command) > /dev/full")
      #expect(result.status == 0 && result.errors == warning, "\(command): \(result)")
    }
    try kq.ok("produce", "t", stdin: "a\nb\n")
    try kq.ok("consume", "t", "--group", "g")
    let reset = try kq.shell("kq group reset g --topic t --to-earliest --execute > /dev/full")
    #expect(reset.status == 0 && reset.errors == warning, "\(reset)")
    #expect(try kq.committed("g", topic: "t") == [0])
    let deleteGroup = try kq.shell("kq group delete g > /dev/full")
    #expect(deleteGroup.status == 0 && deleteGroup.errors == warning, "\(deleteGroup)")
    // Every named topic is deleted, not only the first whose confirmation failed.
    let deleteTopics = try kq.shell("kq topic delete t u > /dev/full")
    #expect(deleteTopics.status == 0 && deleteTopics.errors == warning + warning, "\(deleteTopics)")
    #expect(try kq.ok("topic", "list").output == "")
    #expect(try kq.ok("group", "list").output == "")
  }
}
