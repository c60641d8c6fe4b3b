import Glibc
import KQLog
import Synchronization

/// Everything a command may touch of its process, handed in so tests can run commands
/// in-process: nothing in KQCommands reads the environment or the clock by itself.
package struct Context {
  package var environment: [String: String]
  package var stdin: any ByteSource
  package var stdout: any ByteSink
  package var stderr: any ByteSink
  package var clock: any WallClock
  /// SIGINT/SIGTERM as a pollable descriptor, when running as a process.
  package var signals: SignalWatcher?
  /// Opens the log a command names (a data directory, or a cluster).
  package var services: any LogServiceOpener
  /// argv as bytes, exactly as the process got them (`KQ.run` gets them as Strings, with
  /// invalid UTF-8 replaced); empty when not running as a process.
  package var rawArguments: [[UInt8]] = []

  package init(
    environment: [String: String], stdin: any ByteSource, stdout: any ByteSink, stderr: any ByteSink,
    clock: any WallClock = SystemClock(), signals: SignalWatcher? = nil, services: any LogServiceOpener
  ) {
    self.environment = environment
    self.stdin = stdin
    self.stdout = stdout
    self.stderr = stderr
    self.clock = clock
    self.signals = signals
    self.services = services
  }

  /// The context of the running process: its environment, standard streams and signals.
  package static func process(services: any LogServiceOpener) -> Context {
    var environment: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
      if let equals = strchr(entry, 61) {
        let name = String(decoding: UnsafeRawBufferPointer(start: entry, count: equals - entry), as: UTF8.self)
        environment[name] = String(cString: equals + 1)
      }
      pointer += 1
    }
    // Before anything opens a descriptor: none may take the number of a closed 0, 1 or 2.
    let closed = StandardDescriptors.openClosedOnes()
    // A closed pipe is reported as EPIPE by write, never as a signal that kills kq.
    signal(SIGPIPE, SIG_IGN)
    // A reader holds a few descriptors per partition (segment, folder, read-ahead): the soft
    // limit (often 1024) is raised to the hard one, as a consume of thousands of partitions needs.
    var files = rlimit()
    if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files) == 0, files.rlim_cur < files.rlim_max {
      files.rlim_cur = files.rlim_max
      _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files)
    }
    let signals = SignalWatcher()
    let stdout = FileDescriptorSink(1)
    stdout.stopsOnSignal = signals
    var context = Context(
      environment: environment, stdin: FileDescriptorSource(0),
      stdout: closed.contains(.stdout) ? ClosedSink() : stdout,
      stderr: closed.contains(.stderr) ? ClosedSink() : FileDescriptorSink(2), signals: signals, services: services)
    context.rawArguments = (0..<Int(CommandLine.argc)).map { index in
      guard let element = CommandLine.unsafeArgv[index] else { return [] }
      return Array(UnsafeRawBufferPointer(start: element, count: strlen(element)))
    }
    return context
  }

  /// Whether stderr may show colour or progress: a terminal, TERM not dumb.
  package var stderrIsInteractive: Bool {
    stderr.isTerminal && environment["TERM"] != "dumb"
  }
  package var colorEnabled: Bool {
    stderrIsInteractive && (environment["NO_COLOR"] ?? "").isEmpty
  }
}

/// The write end of the self-pipe that the signal handler reports to (see `SignalWatcher`).
nonisolated(unsafe) private var signalPipeWriteEnd: CInt = -1
/// Signals the handler has reported, each counted after its byte is on the pipe: while this
/// has not moved, `pending()` knows there is nothing to read without a read(2) per call.
private let signalsReported = Atomic<Int>(0)

/// SIGINT and SIGTERM turned into bytes on a pipe (the self-pipe trick), so that loops
/// waiting in `poll` notice Ctrl-C between records instead of dying mid-write.
package final class SignalWatcher {
  /// The read end: readable when a signal arrived.
  package let fd: CInt
  /// `signalsReported` as of the last byte `pending()` took.
  private var signalsTaken: Int

  package init?() {
    signalsTaken = signalsReported.load(ordering: .acquiring)  // also runs its lazy set-up before the handler can
    guard let ends = WakePipe.makeEnds() else { return nil }
    fd = ends.read
    signalPipeWriteEnd = ends.write
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { number in
      var byte = UInt8(truncatingIfNeeded: number)
      if write(signalPipeWriteEnd, &byte, 1) == 1 { signalsReported.add(1, ordering: .releasing) }
    }
    // No SA_RESTART: a write blocked on a full pipe returns (EINTR or short), so that kq stops
    // instead of waiting for a reader that may never read; every other call retries EINTR.
    action.sa_flags = 0
    sigemptyset(&action.sa_mask)
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
  }

  /// The signal received, if one is pending (SIGINT or SIGTERM), without waiting.
  package func pending() -> Int32? {
    guard signalsReported.load(ordering: .acquiring) != signalsTaken else { return nil }
    var byte: UInt8 = 0
    guard read(fd, &byte, 1) == 1 else { return nil }
    signalsTaken &+= 1
    return Int32(byte)
  }

  /// Whether a signal waits for `pending()`, without taking it.
  package var isPending: Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&entry, 1, 0) == 1
  }
}
