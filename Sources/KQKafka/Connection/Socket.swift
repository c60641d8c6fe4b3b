import Glibc

/// A non-blocking TCP socket to one broker, closed exactly once (by `deinit`). Every wait is a
/// `poll` bounded by a `Deadline`; EINTR is retried. This file and `Socket+Connect.swift` are
/// the only places that call socket system calls.
package final class Socket {
  package let address: BrokerAddress
  private let fd: CInt

  init(fd: CInt, address: BrokerAddress) {
    self.fd = fd
    self.address = address
  }

  deinit { _ = Glibc.close(fd) }

  /// Ends both directions at once; the descriptor stays open (so its number is not reused)
  /// until `deinit`.
  package func shutdown() { _ = Glibc.shutdown(fd, CInt(SHUT_RDWR)) }

  /// Sends all of `bytes` (send(2) with MSG_NOSIGNAL, so a closed peer is EPIPE, not SIGPIPE).
  package func sendAll(_ bytes: UnsafeRawBufferPointer, deadline: Deadline, api: ApiKey) throws(KafkaError) {
    guard var base = bytes.baseAddress else { return }
    var left = bytes.count
    while left > 0 {
      let sent = Glibc.send(fd, base, left, CInt(MSG_NOSIGNAL))
      if sent >= 0 {
        base += sent
        left -= sent
        continue
      }
      let code = errno
      switch code {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK: try wait(for: CShort(POLLOUT), deadline: deadline, api: api)
      default: throw failure(code, operation: "sending")
      }
    }
  }

  /// Receives up to `buffer.count` bytes, waiting until some arrive; 0 means the broker closed
  /// the connection.
  package func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline, api: ApiKey) throws(KafkaError)
    -> Int
  {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    while true {
      let received = Glibc.recv(fd, base, buffer.count, 0)
      if received >= 0 { return received }
      let code = errno
      switch code {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK: try wait(for: CShort(POLLIN), deadline: deadline, api: api)
      case ECONNRESET: return 0
      default: throw failure(code, operation: "receiving")
      }
    }
  }

  /// Waits until the socket is ready for `events` (or in error, which the next call reports).
  private func wait(for events: CShort, deadline: Deadline, api: ApiKey) throws(KafkaError) {
    var entry = pollfd(fd: fd, events: events, revents: 0)
    while true {
      let timeout = deadline.pollTimeoutMillis
      let ready = Glibc.poll(&entry, 1, timeout)
      if ready > 0 { return }
      if ready == 0 { throw .requestTimedOut(address, api: api) }
      let code = errno
      if code != EINTR { throw failure(code, operation: "waiting") }
    }
  }

  private func failure(_ code: Int32, operation: String) -> KafkaError {
    switch code {
    case ECONNRESET, EPIPE: .closedByBroker(address)
    default: .network(address, operation: operation, errno: code)
    }
  }
}
