import Foundation

/// The built `kq` binary run as a real process with real pipes: what users run.
package enum KQProcess {
  /// The binary under test: `$KQ_BINARY`, else `kq` beside the test bundle in `.build`.
  package static var binaryPath: String {
    if let path = ProcessInfo.processInfo.environment["KQ_BINARY"], !path.isEmpty { return path }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = executable.deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = folder.appendingPathComponent("kq").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    return packageRoot + "/.build/debug/kq"
  }

  /// The package's root folder, found from this source file.
  package static var packageRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  }

  package struct Result: CustomStringConvertible {
    package var status: Int32
    package var stdout: [UInt8]
    package var stderr: [UInt8]
    package var output: String { String(decoding: stdout, as: UTF8.self) }
    package var errors: String { String(decoding: stderr, as: UTF8.self) }
    /// stdout's lines without their newlines; no output is no lines (not one empty line).
    package var lines: [String] {
      if output.isEmpty { return [] }
      return output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast(output.hasSuffix("\n") ? 1 : 0)
    }
    package var description: String { "exit \(status)\nstdout: \(output.prefix(2000))\nstderr: \(errors.prefix(2000))" }
  }

  /// Runs kq to completion with `stdin` fed in, in the data directory `directory`.
  @discardableResult
  package static func run(
    _ arguments: [String], directory: String?, stdin: [UInt8] = [], environment: [String: String] = [:],
    timeout: TimeInterval = 60
  ) throws -> Result {
    let running = try start(arguments, directory: directory, environment: environment)
    running.write(stdin)
    running.closeInput()
    return try running.finish(timeout: timeout)
  }

  @discardableResult
  package static func run(_ arguments: [String], directory: String?, stdin: String, environment: [String: String] = [:])
    throws -> Result
  {
    try run(arguments, directory: directory, stdin: Array(stdin.utf8), environment: environment)
  }

  /// Runs `name`, a program the package builds beside kq (`kq-fuzz`), to completion.
  package static func runBuilt(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws
    -> Result
  {
    let path = URL(fileURLWithPath: binaryPath).deletingLastPathComponent().appendingPathComponent(name).path
    let running = try Running(arguments: arguments, directory: nil, environment: environment, executable: path)
    running.closeInput()
    return try running.finish(timeout: 300)
  }

  package static func start(_ arguments: [String], directory: String?, environment: [String: String] = [:]) throws
    -> Running
  {
    try Running(arguments: arguments, directory: directory, environment: environment)
  }

  /// A kq process still running: write to its stdin, read its stdout line by line, signal it.
  /// Both output pipes are drained by threads of their own, blocking in read(2) until EOF,
  /// so a child never stalls on a full pipe and its end of output is never missed.
  package final class Running: @unchecked Sendable {
    package let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errorPipe = Pipe()
    /// What the reader threads collect; they hold this, not the process, so dropping a
    /// `Running` still terminates its child.
    private final class Collected: @unchecked Sendable {
      let lock = NSCondition()
      var stdoutBytes: [UInt8] = []
      var stderrBytes: [UInt8] = []
      var stdoutClosed = false
      var stderrClosed = false
    }
    private let collected = Collected()
    private var lock: NSCondition { collected.lock }
    private var consumed = 0

    init(arguments: [String], directory: String?, environment: [String: String], executable: String? = nil) throws {
      process.executableURL = URL(fileURLWithPath: executable ?? KQProcess.binaryPath)
      process.arguments = arguments
      var env = ProcessInfo.processInfo.environment
      env.removeValue(forKey: "KQ_DIR")
      env.removeValue(forKey: "KQ_BROKERS")  // a cluster of the runner's must not stand in for KQ_DIR
      if let directory { env["KQ_DIR"] = directory }
      for (key, value) in environment { env[key] = value }
      process.environment = env
      process.standardInput = input
      process.standardOutput = output
      process.standardError = errorPipe
      // Children inherit the spawning thread's signal mask, and the test runner's threads
      // block SIGINT and SIGTERM: start them with none blocked, as a shell would.
      var none = sigset_t()
      var previous = sigset_t()
      sigemptyset(&none)
      pthread_sigmask(SIG_SETMASK, &none, &previous)
      defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
      try process.run()
      drain(output.fileHandleForReading.fileDescriptor, isStdout: true)
      drain(errorPipe.fileHandleForReading.fileDescriptor, isStdout: false)
    }

    deinit {
      if process.isRunning { process.terminate() }
    }

    private func drain(_ pipeEnd: CInt, isStdout: Bool) {
      let collected = collected
      // The thread reads its own duplicate, so the Pipe closing its descriptor cannot pull
      // the number from under a blocked read.
      let fd = fcntl(pipeEnd, F_DUPFD_CLOEXEC, 0)
      Thread.detachNewThread {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
          let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
          if n < 0 && errno == EINTR { continue }
          collected.lock.lock()
          if n > 0 {
            if isStdout { collected.stdoutBytes += buffer[0..<n] } else { collected.stderrBytes += buffer[0..<n] }
          } else if isStdout {
            collected.stdoutClosed = true
          } else {
            collected.stderrClosed = true
          }
          collected.lock.broadcast()
          collected.lock.unlock()
          if n <= 0 { return }
        }
      }
    }

    package var pid: Int32 { process.processIdentifier }

    /// Writes to the child's stdin; a child that has exited or closed it is not an error
    /// (EPIPE, with SIGPIPE held off this thread so it cannot end the test run).
    package func write(_ bytes: [UInt8]) {
      guard !bytes.isEmpty else { return }
      var pipeSignal = sigset_t()
      var previous = sigset_t()
      sigemptyset(&pipeSignal)
      sigaddset(&pipeSignal, SIGPIPE)
      pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
      defer {
        var pending = sigset_t()
        sigpending(&pending)
        if sigismember(&pending, SIGPIPE) == 1 {
          var zero = timespec()
          _ = sigtimedwait(&pipeSignal, nil, &zero)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
      }
      let fd = input.fileHandleForWriting.fileDescriptor
      bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
          let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
          if n < 0 {
            if errno == EINTR { continue }
            return
          }
          offset += n
        }
      }
    }
    package func write(_ text: String) { write(Array(text.utf8)) }
    package func closeInput() { try? input.fileHandleForWriting.close() }

    /// The next line of stdout (without its newline), waiting up to `timeout`; nil at EOF or timeout.
    package func readLine(timeout: TimeInterval = 20) -> String? {
      let deadline = Date().addingTimeInterval(timeout)
      lock.lock()
      defer { lock.unlock() }
      while true {
        if let newline = collected.stdoutBytes[consumed...].firstIndex(of: 10) {
          let line = String(decoding: collected.stdoutBytes[consumed..<newline], as: UTF8.self)
          consumed = newline + 1
          return line
        }
        if collected.stdoutClosed { return nil }
        if !lock.wait(until: deadline) { return nil }
      }
    }

    /// Waits up to `timeout` until stderr holds `count` occurrences of `text`; false if it
    /// does not by then (or the process closed stderr first).
    package func waitForErrors(containing text: String, count: Int = 1, timeout: TimeInterval = 20) -> Bool {
      let deadline = Date().addingTimeInterval(timeout)
      lock.lock()
      defer { lock.unlock() }
      while true {
        let errors = String(decoding: collected.stderrBytes, as: UTF8.self)
        if errors.components(separatedBy: text).count - 1 >= count { return true }
        if collected.stderrClosed || !lock.wait(until: deadline) { return false }
      }
    }

    package func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// SIGSTOP, returning once every thread has stopped (`ProcessTable.freeze`); SIGCONT thaws.
    package func freeze() -> Bool { ProcessTable.freeze(process.processIdentifier) }

    /// Waits until the process catches `signals` (its handlers are installed, as
    /// /proc/PID/status's SigCgt shows), so a signal sent next reaches kq's own handling
    /// rather than the default action. False after `timeout`.
    package func waitUntilCatching(_ signals: [Int32], timeout: TimeInterval = 20) -> Bool {
      let mask = signals.reduce(UInt64(0)) { $0 | (1 << UInt64($1 - 1)) }
      let deadline = Date().addingTimeInterval(timeout)
      while Date() < deadline && process.isRunning {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let caught = status.split(separator: "\n").first { $0.hasPrefix("SigCgt:") }
          .flatMap { UInt64($0.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        if caught & mask == mask { return true }
        usleep(2000)
      }
      return false
    }

    /// Waits for the exit (killing the process after `timeout`) and collects its output: all
    /// of it, unless a process it left behind still holds its pipes 10 s after the exit.
    package func finish(timeout: TimeInterval = 60) throws -> Result {
      let deadline = Date().addingTimeInterval(timeout)
      while process.isRunning && Date() < deadline { usleep(2000) }
      if process.isRunning {
        process.terminate()
        usleep(100_000)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      }
      process.waitUntilExit()
      closeInput()
      lock.lock()
      defer { lock.unlock() }
      let closeDeadline = Date().addingTimeInterval(10)
      while !(collected.stdoutClosed && collected.stderrClosed) && lock.wait(until: closeDeadline) {}
      var status = process.terminationStatus
      if process.terminationReason == .uncaughtSignal { status += 128 }
      return Result(status: status, stdout: collected.stdoutBytes, stderr: collected.stderrBytes)
    }
  }
}
