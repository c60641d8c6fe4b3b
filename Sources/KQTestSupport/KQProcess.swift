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
    package var lines: [String] { output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast(output.hasSuffix("\n") ? 1 : 0) }
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

  package static func start(_ arguments: [String], directory: String?, environment: [String: String] = [:]) throws
    -> Running
  {
    try Running(arguments: arguments, directory: directory, environment: environment)
  }

  /// A kq process still running: write to its stdin, read its stdout line by line, signal it.
  package final class Running: @unchecked Sendable {
    package let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errorPipe = Pipe()
    private let lock = NSCondition()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    private var stdoutClosed = false
    private var consumed = 0

    init(arguments: [String], directory: String?, environment: [String: String]) throws {
      process.executableURL = URL(fileURLWithPath: KQProcess.binaryPath)
      process.arguments = arguments
      var env = ProcessInfo.processInfo.environment
      env.removeValue(forKey: "KQ_DIR")
      if let directory { env["KQ_DIR"] = directory }
      for (key, value) in environment { env[key] = value }
      process.environment = env
      process.standardInput = input
      process.standardOutput = output
      process.standardError = errorPipe
      output.fileHandleForReading.readabilityHandler = { [weak self] handle in
        let data = handle.availableData
        guard let self else { return }
        self.lock.lock()
        if data.isEmpty { self.stdoutClosed = true } else { self.stdoutBytes += data }
        self.lock.broadcast()
        self.lock.unlock()
      }
      errorPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
        let data = handle.availableData
        guard let self else { return }
        self.lock.lock()
        self.stderrBytes += data
        self.lock.unlock()
      }
      try process.run()
    }

    deinit {
      if process.isRunning { process.terminate() }
    }

    package var pid: Int32 { process.processIdentifier }

    package func write(_ bytes: [UInt8]) {
      if !bytes.isEmpty { try? input.fileHandleForWriting.write(contentsOf: Data(bytes)) }
    }
    package func write(_ text: String) { write(Array(text.utf8)) }
    package func closeInput() { try? input.fileHandleForWriting.close() }

    /// The next line of stdout (without its newline), waiting up to `timeout`; nil at EOF or timeout.
    package func readLine(timeout: TimeInterval = 20) -> String? {
      let deadline = Date().addingTimeInterval(timeout)
      lock.lock()
      defer { lock.unlock() }
      while true {
        if let newline = stdoutBytes[consumed...].firstIndex(of: 10) {
          let line = String(decoding: stdoutBytes[consumed..<newline], as: UTF8.self)
          consumed = newline + 1
          return line
        }
        if stdoutClosed { return nil }
        if !lock.wait(until: deadline) { return nil }
      }
    }

    package func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the exit (killing the process after `timeout`) and collects its output.
    package func finish(timeout: TimeInterval = 60) throws -> Result {
      let deadline = Date().addingTimeInterval(timeout)
      while process.isRunning && Date() < deadline { usleep(2000) }
      if process.isRunning {
        process.terminate()
        usleep(100_000)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      }
      process.waitUntilExit()
      lock.lock()
      let closeDeadline = Date().addingTimeInterval(5)
      while !stdoutClosed && lock.wait(until: closeDeadline) {}
      lock.unlock()
      output.fileHandleForReading.readabilityHandler = nil
      errorPipe.fileHandleForReading.readabilityHandler = nil
      let restOut = (try? output.fileHandleForReading.readToEnd()) ?? nil
      let restErr = (try? errorPipe.fileHandleForReading.readToEnd()) ?? nil
      lock.lock()
      defer { lock.unlock() }
      var status = process.terminationStatus
      if process.terminationReason == .uncaughtSignal { status += 128 }
      return Result(
        status: status, stdout: stdoutBytes + Array(restOut ?? Data()), stderr: stderrBytes + Array(restErr ?? Data()))
    }
  }
}
