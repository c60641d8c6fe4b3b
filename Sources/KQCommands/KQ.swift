import Glibc
import KQLog

/// kq's one entry point: parse, run, and turn every error into one worded diagnostic and an
/// exit status. Help and data go to stdout; diagnostics to stderr.
package enum KQ {
  package static func run(arguments: [String], context: Context) -> ExitStatus {
    do {
      return try execute(Array(arguments.dropFirst()), context)
    } catch let status as ExitStatus {
      return status
    } catch let usage as UsageError {
      context.stderr.write(usage.rendered())
      return .usage
    } catch {
      let diagnostic = Diagnostic(for: error)
      context.stderr.write(diagnostic.rendered)
      // A cluster wait that Ctrl-C or SIGTERM ended: the signal is still there to tell which.
      if diagnostic.status == .interrupted, context.signals?.pending() == SIGTERM { return .terminated }
      return diagnostic.status
    }
  }

  static func execute(_ arguments: [String], _ context: Context) throws -> ExitStatus {
    let invocation = try CommandLineParser.parse(arguments, rawArguments: Array(context.rawArguments.dropFirst()))
    if invocation.wantsHelp {
      let text: String
      if let command = invocation.command {
        text = HelpText.render(command)
      } else if CommandTree.isGroup(invocation.path) {
        text = HelpText.renderGroup(invocation.path)
      } else {
        text = HelpText.renderTopLevel()
      }
      try context.writeOutput(text)
      return .success
    }
    if invocation.wantsVersion {
      try context.writeOutput("kq \(KQVersion.current)\n")
      return .success
    }
    guard let command = invocation.command else {
      try context.writeOutput(HelpText.renderTopLevel())
      return .success
    }
    let session = Session(arguments: invocation.arguments, context: context)
    try session.checkGlobalOptions()
    switch command.path {
    case ["topic", "create"]: try TopicCreateCommand.run(session)
    case ["topic", "list"]: try TopicListCommand.run(session)
    case ["topic", "delete"]: try TopicDeleteCommand.run(session)
    case ["topic", "alter"]: try TopicAlterCommand.run(session)
    case ["topic", "compact"]: try TopicCompactCommand.run(session)
    case ["produce"]: try ProduceCommand.run(session)
    case ["consume"]: try ConsumeCommand.run(session)
    case ["pipe"]: try PipeCommand.run(session)
    case ["mirror"]: try MirrorCommand.run(session)
    case ["describe"]: try DescribeCommand.run(session)
    case ["verify"]: return try VerifyCommand.run(session)
    case ["group", "list"]: try GroupListCommand.run(session)
    case ["group", "describe"]: try GroupDescribeCommand.run(session)
    case ["group", "reset"]: try GroupResetCommand.run(session)
    case ["group", "delete"]: try GroupDeleteCommand.run(session)
    default:
      throw UsageError(.unknownCommand(command.name, suggestions: []), commandPath: [])
    }
    return .success
  }
}

/// What every command gets: its bound arguments, the process context, and the way to the log.
struct Session {
  let arguments: ParsedArguments
  let context: Context

  /// The data directory: `--dir`, else `$KQ_DIR`, else `$XDG_DATA_HOME/kq` (when absolute),
  /// else `~/.local/share/kq`.
  func dataDirectoryPath() throws -> String {
    if let dir = arguments.globalDirectory {
      // `--dir "$UNSET"` must not quietly fall back to the default directory.
      guard !dir.isEmpty else { throw arguments.invalidValue("dir", hint: "give the path of a data directory") }
      return dir
    }
    let environment = context.environment
    if let dir = environment["KQ_DIR"], !dir.isEmpty { return dir }
    if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg + "/kq" }
    guard let home = environment["HOME"], !home.isEmpty else { throw CommandError.noHome }
    return home + "/.local/share/kq"
  }

  /// Where the log is: `--dir`, else `--brokers`, else `$KQ_BROKERS`, else the data directory
  /// (`dataDirectoryPath`).
  func location() throws -> LogLocation {
    if arguments.globalDirectory != nil { return .directory(try dataDirectoryPath()) }
    if let brokers = arguments.globalBrokers {  // checked by checkGlobalOptions
      return .cluster(brokers: brokers, timeoutMillis: try brokerTimeoutMillis())
    }
    guard let listed = context.environment["KQ_BROKERS"], !listed.isEmpty else { return .directory(try dataDirectoryPath()) }
    if let problem = brokerListProblem(listed) {
      throw CommandError.message(
        "KQ_BROKERS='\(listed)' is not a broker list: \(problem)",
        hint: "set it to HOST:PORT of one or more brokers, separated by ',', or unset it to use the data directory",
        status: .usage)
    }
    return .cluster(brokers: listed, timeoutMillis: try brokerTimeoutMillis())
  }

  /// The global options' values, also those that do not apply (`--brokers` beside `--dir`
  /// wins nothing, but a typo in it is still one): every flag is checked before any work.
  func checkGlobalOptions() throws {
    _ = try brokerTimeoutMillis()
    if let brokers = arguments.globalBrokers, let problem = brokerListProblem(brokers) {
      throw arguments.invalidValue("brokers", hint: "\(problem); give HOST:PORT of one or more brokers, separated by ','")
    }
  }

  /// What is wrong with a broker list as written, before anything connects; nil when nothing is.
  private func brokerListProblem(_ brokers: String) -> String? {
    brokers.allSatisfy { $0 == " " } ? "it names no broker" : context.services.brokerListProblem(brokers)
  }

  /// `--broker-timeout`, 30 s when not given.
  func brokerTimeoutMillis() throws -> Int64 {
    guard let text = arguments.value("broker-timeout") else { return 30_000 }
    guard let millis = DurationParsing.milliseconds(text, unitRequired: true), millis > 0 else {
      throw arguments.invalidValue("broker-timeout", hint: "give a duration above 0 with a unit, such as 500ms, 10s or 2m")
    }
    return millis
  }

  /// The shortest and longest `--session-timeout`: a heartbeat every third of it, at most
  /// every 33 ms; an hour, as librdkafka's `session.timeout.ms` allows (Kafka brokers refuse
  /// more than 30 minutes unless configured otherwise).
  static let sessionTimeoutRange: ClosedRange<Int64> = 100...3_600_000

  /// `--session-timeout`, nil when not given (the service's default).
  func sessionTimeout() throws -> Duration? {
    guard let text = arguments.value("session-timeout") else { return nil }
    guard let millis = DurationParsing.milliseconds(text, unitRequired: true), Self.sessionTimeoutRange.contains(millis) else {
      throw arguments.invalidValue("session-timeout", hint: "give a duration from 100ms to 1h, such as 10s")
    }
    return .milliseconds(millis)
  }

  /// The log service at the location the command line names. With `create`, a missing data
  /// directory is made.
  func service(create: Bool) throws -> any LogService {
    try context.services.open(try location(), create: create, clock: context.clock)
  }

  /// The service for reading, or nil when no data directory exists yet.
  func existingService() throws -> (any LogService)? {
    do { return try service(create: false) } catch StorageError.dataDirectoryNotFound { return nil }
  }

  func topicName(_ text: String, argument: String = "TOPIC") throws -> TopicName {
    do { return try TopicName(text) } catch {
      let reason: String
      if case .invalidTopicName(_, let why) = error { reason = why } else { reason = "invalid name" }
      throw arguments.invalidArgument(argument, value: text, hint: reason)
    }
  }

  func integer(_ flag: String, minimum: Int64 = 0, maximum: Int64 = Int64.max, what: String = "a whole number") throws -> Int64? {
    guard let text = arguments.value(flag) else { return nil }
    guard let value = Int64(text), value >= minimum, value <= maximum else {
      let range = maximum == Int64.max ? "\(minimum) or more" : "from \(minimum) to \(maximum)"
      throw arguments.invalidValue(flag, hint: "give \(what) \(range)")
    }
    return value
  }

  /// Writes output that is the command's work (see `Context.writeOutput`).
  func write(_ text: String) throws { try context.writeOutput(text) }

  /// Writes the confirmation of a change already made (see `Context.writeConfirmation`).
  func confirm(_ text: String) { context.writeConfirmation(text) }
}

/// Failures of the command layer itself (not of storage, not of usage).
enum CommandError: Error {
  case noHome
  case execFailed(command: String, reason: String)
  /// Standard output was closed when kq started, and the command's work is its output.
  case standardOutputClosed
  /// A batch the reader returned whose records do not decode: damage, named by its place.
  case message(String, hint: String, status: ExitStatus)
}
