import Glibc

/// A flag one thread raises and another waits for with a deadline: a socket pair (created
/// close-on-exec in one step, unlike pipe(2) here), so a wait is a `poll` like every other
/// wait in the client, and could join a poll of other descriptors.
package final class Wakeup: @unchecked Sendable {
  private let readEnd: CInt
  private let writeEnd: CInt

  package init() throws(KafkaError) {
    var ends: [CInt] = [-1, -1]
    let type = CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue) | CInt(SOCK_NONBLOCK.rawValue)
    guard socketpair(AF_UNIX, type, 0, &ends) == 0 else {
      throw .localResource(operation: "creating a socket pair", errno: errno)
    }
    readEnd = ends[0]
    writeEnd = ends[1]
  }

  deinit {
    _ = Glibc.close(readEnd)
    _ = Glibc.close(writeEnd)
  }

  /// Raises the flag; it stays raised until `lower()`.
  package func raise() {
    var one: UInt8 = 1
    _ = Glibc.send(writeEnd, &one, 1, CInt(MSG_NOSIGNAL))  // a full buffer is raised already
  }

  package func lower() {
    var buffer = [UInt8](repeating: 0, count: 64)
    while buffer.withUnsafeMutableBytes({ Glibc.recv(readEnd, $0.baseAddress, $0.count, 0) }) > 0 {}
  }

  /// The end that is readable while the flag is raised, for a `poll` of the caller's own.
  package var descriptor: CInt { readEnd }

  package var isRaised: Bool { wait(until: .now()) }

  /// Waits until the flag is raised (true) or the deadline passes (false).
  package func wait(until deadline: Deadline) -> Bool {
    var entry = pollfd(fd: readEnd, events: CShort(POLLIN), revents: 0)
    while true {
      let ready = Glibc.poll(&entry, 1, deadline.pollTimeoutMillis)
      if ready > 0 { return true }
      if ready == 0 { return false }
      if errno != EINTR { return false }
    }
  }
}
