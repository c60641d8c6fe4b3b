import Glibc
import KQLog

/// What `kq pipe` reads, runs and writes; bound from flags by `PipeOptions.bind`.
struct PipeOptions {
  enum Command {
    /// `--exec CMD`: `sh -c CMD`.
    case shell(String)
    /// After `--`: the executable's path (found on PATH at start) and argv.
    case program(path: String, arguments: [String])

    /// The command as messages show it.
    var text: String {
      switch self {
      case .shell(let command): command
      case .program(_, let arguments): arguments.joined(separator: " ")
      }
    }
  }

  enum Framing { case lines, nulTerminated, json }
  enum Placement { case key, inputPartition }

  var inputs: [TopicName]
  var output: TopicName
  var group: GroupName
  var command: Command
  var framing: Framing = .lines
  var keyDelimiter: [UInt8]?
  var each = false
  var placement: Placement = .key
  var timeoutMillis: Int64?
  /// Larger than `--exec`'s 10,000 records: CMD starts once per batch (a fork, an exec and
  /// the command's own start, about 1 ms of CPU for `cat`). 12 MiB holds 100,000 records of
  /// 100 bytes; kq holds a batch twice (the one running, the next one read meanwhile) and its
  /// output once, so 12 MiB keeps kq under 64 MiB (16 MiB of 1 KiB records took 76 MB).
  var batchRecords = 100_000
  var batchBytes = 12 << 20
  var commitIntervalMillis: Int64 = 1000
  var follow = false
  var waitsForLease = false
  /// `--session-timeout`: nil for the service's default.
  var sessionTimeout: Duration?

  /// The consume framing CMD's input is printed in.
  var inputFraming: ConsumeOptions.Output {
    switch framing {
    case .lines: .values
    case .nulTerminated: .nulTerminated
    case .json: .json
    }
  }

  static func bind(_ session: Session) throws -> PipeOptions {
    let arguments = session.arguments
    let beforeCommand = arguments.positionalsBeforeTerminator ?? arguments.positionals.count
    let topics = Array(arguments.positionals.prefix(beforeCommand))
    let words = Array(arguments.positionals.dropFirst(beforeCommand))
    var inputs: [TopicName] = []
    let output: TopicName
    if let list = arguments.value("from-topics") {
      guard topics.count == 1 else {
        if topics.isEmpty { throw UsageError(.missingArgument("OUT"), commandPath: arguments.commandPath) }
        throw UsageError(.unexpectedArgument(topics[1]), commandPath: arguments.commandPath)
      }
      for piece in list.split(separator: ",", omittingEmptySubsequences: false) {
        let name = try session.topicName(String(piece), argument: "'--from-topics'")
        if !inputs.contains(name) { inputs.append(name) }
      }
      output = try session.topicName(topics[0], argument: "OUT")
    } else {
      guard topics.count == 2 else {
        if topics.count > 2 {
          throw arguments.invalidArgument(
            "CMD", value: topics[2], hint: "put the command after '--': kq pipe IN OUT --group G -- \(topics[2]) ...")
        }
        throw UsageError(.missingArgument(topics.isEmpty ? "IN" : "OUT"), commandPath: arguments.commandPath)
      }
      inputs = [try session.topicName(topics[0], argument: "IN")]
      output = try session.topicName(topics[1], argument: "OUT")
    }
    // OUT among the inputs would read its own output back, forever (mirror refuses it too).
    if inputs.contains(output) {
      throw CommandError.message(
        "OUT '\(output)' is also an input: kq pipe would read its own output back without end",
        hint: "give an OUT other than the topics it reads", status: .usage)
    }
    let group = try GroupConsume.groupName(arguments.value("group") ?? "", session: session, argument: "'--group'")
    let command: Command
    if let shell = arguments.value("exec") {
      guard words.isEmpty else {
        throw arguments.invalidArgument("CMD", value: words[0], hint: "give the command either after '--' or with --exec, not both")
      }
      guard shell.contains(where: { !$0.isWhitespace }) else {
        throw arguments.invalidValue("exec", hint: "give the command that turns each batch into output, e.g. 'grep -v DEBUG'")
      }
      command = .shell(shell)
    } else {
      guard let name = words.first, !name.isEmpty else {
        throw UsageError(.missingArgument("CMD (after '--', or --exec)"), commandPath: arguments.commandPath)
      }
      guard let path = Self.executable(name, environment: session.context.environment) else {
        throw CommandError.message(
          "cannot run '\(name)': no such command", hint: "check its name, or the PATH kq was given",
          status: ExitStatus(127))
      }
      command = .program(path: path, arguments: words)
    }
    var options = PipeOptions(inputs: inputs, output: output, group: group, command: command)
    if arguments.has("json") { options.framing = .json }
    if arguments.has("null") { options.framing = .nulTerminated }
    if let delimiter = arguments.valueBytes("key-delimiter") {
      let bytes = Escapes.unescape(delimiter)
      guard !bytes.isEmpty else {
        throw arguments.invalidValue("key-delimiter", hint: "give one or more characters, e.g. ':' or '\\t'")
      }
      options.keyDelimiter = bytes
    }
    options.each = arguments.has("each")
    if arguments.has("keep-partition") { options.placement = .inputPartition }
    options.timeoutMillis = try duration("timeout", session)
    if let interval = try duration("commit-interval", session, allowsZero: true) { options.commitIntervalMillis = interval }
    if let records = try session.integer("batch", minimum: 1, maximum: Int64(Int32.max)) { options.batchRecords = Int(records) }
    if let text = arguments.value("batch-bytes") {
      guard let bytes = ByteSizeParsing.bytes(text), bytes > 0, bytes <= Int64(Int32.max) else {
        throw arguments.invalidValue("batch-bytes", hint: "write a size such as 1MiB or 16MiB, at most 2GiB")
      }
      options.batchBytes = Int(bytes)
    }
    options.follow = arguments.has("follow")
    options.waitsForLease = arguments.has("wait")
    options.sessionTimeout = try session.sessionTimeout()
    return options
  }

  /// A DURATION flag: a positive duration with a unit (0 too with `allowsZero`).
  private static func duration(_ flag: String, _ session: Session, allowsZero: Bool = false) throws -> Int64? {
    guard let text = session.arguments.value(flag) else { return nil }
    guard let millis = DurationParsing.milliseconds(text, unitRequired: true), millis > 0 || (allowsZero && millis == 0)
    else {
      throw session.arguments.invalidValue(
        flag, hint: "write a duration \(allowsZero ? "of 0 or more" : "above 0") with a unit, such as 500ms, 30s or 5m")
    }
    return millis
  }

  /// The path of the program `name` names: itself when it has a '/', else the first
  /// executable file of that name in a folder of PATH (as execvp finds it).
  static func executable(_ name: String, environment: [String: String]) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for folder in path.split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = (folder.isEmpty ? "." : String(folder)) + "/" + name
      var info = stat()
      if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
  }
}
