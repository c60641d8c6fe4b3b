import CKQSpawn
import Glibc
import KQLog

/// `sh -c CMD` in a process group of its own, under a supervisor that kills the group when kq
/// dies, even by kill -9 (see kq_spawn.h): the command, and whatever it started, never
/// outlives kq, and the supervisor holds kq's leases until the group is gone. While kq feeds
/// and waits, a SIGINT or SIGTERM to kq is passed on to the group (the terminal's Ctrl-C
/// reaches only kq's own group); a second one kills the group.
final class ChildProcess {
  /// How the command ended.
  enum Ending: Equatable {
    case exited(Int32)
    case killed(signal: Int32)
    /// The supervisor could not fork the command.
    case notStarted(Errno)
  }

  /// What `run` saw: how the command ended, whether it was given the whole batch, and the
  /// signal kq received meanwhile (passed on to the command), if any.
  struct Outcome {
    var ending: Ending
    var tookEverything: Bool
    var signal: Int32?
  }

  /// The supervisor's pid: the command's process group.
  let group: pid_t
  var input: CInt
  let report: CInt
  /// The read end of the command's stdout when it is captured (`spawn(capturingOutput:)`), else -1.
  var output: CInt
  /// The thread writing the command's stdin since `startFeeding`, until `filter` takes it.
  var feeder: InputFeeder?
  /// A held command's start (`spawn(held:)`) until `release`, else -1.
  var start: CInt

  private init(group: pid_t, input: CInt, report: CInt, output: CInt, start: CInt) {
    self.group = group
    self.input = input
    self.report = report
    self.output = output
    self.start = start
  }

  deinit {
    if input >= 0 { close(input) }
    if output >= 0 { close(output) }
    if start >= 0 { close(start) }
    close(report)
  }

  /// Whether the command waits for `release` (`spawn(held: true)`).
  var isHeld: Bool { start >= 0 }

  /// Starts a held command: its supervisor, forked ahead, runs it now.
  func release() {
    guard start >= 0 else { return }
    var go: UInt8 = 1
    while write(start, &go, 1) < 0 && errno == EINTR {}
    // Should the write fail, the supervisor reads end of file and reports the command not
    // started (ECANCELED), which `filter` returns as any spawn failure.
    close(start)
    start = -1
  }

  static func spawn(shellCommand: String, environment: [String: String]) throws -> ChildProcess {
    try spawn(executable: "/bin/sh", arguments: ["sh", "-c", shellCommand], environment: environment, naming: shellCommand)
  }

  /// Starts `executable` (a path) with `arguments` (argv, its name first); with
  /// `capturingOutput`, its stdout is a pipe that `filter` reads. `naming` is the command as
  /// messages show it.
  /// `held`: the supervisor is forked now and the command only starts at `release` (see
  /// kq_spawn_supervised_held: nothing else kq feeds may have its stdin open meanwhile).
  static func spawn(
    executable: String, arguments: [String], environment: [String: String], capturingOutput: Bool = false,
    held: Bool = false, naming: String
  ) throws -> ChildProcess {
    let environmentLines = environment.map { $0.key + "=" + $0.value }
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environmentLines.map { strdup($0) } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var started = kq_supervised_command()
    let result =
      held
      ? kq_spawn_supervised_held(executable, &argv, &envp, capturingOutput ? 1 : 0, &started)
      : kq_spawn_supervised_capturing(executable, &argv, &envp, capturingOutput ? 1 : 0, &started)
    guard result == 0 else { throw CommandError.execFailed(command: naming, reason: Errno(result).description) }
    _ = fcntl(started.input, F_SETFL, fcntl(started.input, F_GETFL) | O_NONBLOCK)
    if started.output >= 0 { _ = fcntl(started.output, F_SETFL, fcntl(started.output, F_GETFL) | O_NONBLOCK) }
    return ChildProcess(
      group: started.supervisor, input: started.input, report: started.report, output: capturingOutput ? started.output : -1,
      start: held ? started.start : -1)
  }

  /// Writes `bytes` to the command's stdin, closes it, and waits for the command to end. A
  /// command that stops reading early is not an error here: its exit status decides.
  func run(feeding bytes: UnsafeRawBufferPointer, signals: SignalWatcher?) -> Outcome {
    var signal: Int32?
    var offset = 0
    feeding: while offset < bytes.count, let base = bytes.baseAddress {
      var entries = [
        pollfd(fd: input, events: Int16(POLLOUT), revents: 0), pollfd(fd: report, events: Int16(POLLIN), revents: 0),
      ]
      if let signals { entries.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)) }
      if Glibc.poll(&entries, nfds_t(entries.count), -1) < 0 {
        if errno == EINTR { continue }
        break feeding
      }
      if entries.count > 2, entries[2].revents != 0, let number = signals?.pending() {
        signal = number
        pass(number)
        break feeding
      }
      if entries[1].revents != 0 { break feeding }  // the command ended without reading it all
      if entries[0].revents & Int16(POLLOUT) == 0 { break feeding }  // POLLERR: nobody reads its stdin
      let n = write(input, base + offset, bytes.count - offset)
      if n > 0 {
        offset += n
      } else if errno != EINTR && errno != EAGAIN {
        break feeding  // EPIPE
      }
    }
    close(input)
    input = -1
    let ending = waitForEnding(signals: signals, signal: &signal)
    return Outcome(ending: ending, tookEverything: offset == bytes.count, signal: signal)
  }

  /// Waits for the supervisor's report, passing kq's signals on to the group meanwhile.
  func waitForEnding(signals: SignalWatcher?, signal: inout Int32?) -> Ending {
    var reported = kq_command_ending()
    var got = 0
    while true {
      var entries = [pollfd(fd: report, events: Int16(POLLIN), revents: 0)]
      if let signals { entries.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)) }
      // Should poll itself fail, the report is read without it: read waits for the supervisor.
      if Glibc.poll(&entries, nfds_t(entries.count), -1) < 0 {
        if errno == EINTR { continue }
        entries = [pollfd(fd: report, events: Int16(POLLIN), revents: Int16(POLLIN))]
      }
      if entries.count > 1, entries[1].revents != 0, let number = signals?.pending() {
        // The first signal is passed on; a second one kills the group.
        pass(signal == nil ? number : SIGKILL)
        if signal == nil { signal = number }
      }
      guard entries[0].revents != 0 else { continue }
      let n = withUnsafeMutableBytes(of: &reported) { raw in
        raw.baseAddress.map { read(report, $0 + got, raw.count - got) } ?? 0
      }
      if n < 0 && errno == EINTR { continue }
      if n > 0 {
        got += n
        if got < MemoryLayout<kq_command_ending>.size { continue }
      }
      break
    }
    guard got == MemoryLayout<kq_command_ending>.size else {
      // The supervisor was killed before it could report: the command must not stay behind.
      // (Before reaping it, while its pid, the group's number, cannot be reused.)
      pass(SIGKILL)
      return reap()
    }
    _ = reap()
    switch reported.how {
    case Int32(KQ_COMMAND_EXITED): return .exited(reported.value)
    case Int32(KQ_COMMAND_KILLED): return .killed(signal: reported.value)
    default: return .notStarted(Errno(reported.value))
    }
  }

  /// Waits for the supervisor to exit; how it ended.
  private func reap() -> Ending {
    var status: Int32 = 0
    while waitpid(group, &status, 0) < 0 {
      if errno != EINTR { return .exited(1) }
    }
    let signal = status & 0x7f
    return signal == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: signal)
  }

  func pass(_ signal: Int32) { kill(-group, signal) }
}
