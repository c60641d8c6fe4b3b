import Glibc

/// A descriptor that is readable while the process wants the cluster client to stop waiting:
/// `kq`'s SIGINT/SIGTERM pipe (a signal not yet taken by the command). Retry pauses and
/// connection attempts then end at once with `KafkaError.interrupted`, so that Ctrl-C stops a
/// command that retries an unreachable cluster. A request already sent is still awaited (its
/// answer may hold a commit), up to its deadline. Set once at start, before any connection.
package enum Cancellation {
  nonisolated(unsafe) package static var descriptor: CInt = -1

  /// Whether the descriptor is readable now.
  static var isRequested: Bool {
    guard descriptor >= 0 else { return false }
    var entry = pollfd(fd: descriptor, events: CShort(POLLIN), revents: 0)
    return Glibc.poll(&entry, 1, 0) == 1
  }

  /// poll(2) on `fd` for `events` until `deadline`, with the cancellation descriptor beside it,
  /// retrying EINTR: whether `fd` is ready (false: the deadline passed), or nil when
  /// cancellation was asked for. Throws the errno of a failed poll.
  static func wait(fd: CInt, events: CShort, until deadline: Deadline) throws(SocketFailure) -> Bool? {
    var entries = [pollfd(fd: fd, events: events, revents: 0)]
    if descriptor >= 0 { entries.append(pollfd(fd: descriptor, events: CShort(POLLIN), revents: 0)) }
    while true {
      let ready = Glibc.poll(&entries, nfds_t(entries.count), deadline.pollTimeoutMillis)
      if ready >= 0 {
        if entries.count > 1 && entries[1].revents != 0 { return nil }
        return ready > 0
      }
      if errno != EINTR { throw SocketFailure(errno: errno) }
    }
  }

  /// Sleeps `duration` (a retry's backoff); false when cancellation was asked for meanwhile.
  static func pause(_ duration: Duration) -> Bool {
    let end = Deadline.after(duration)
    var entries = descriptor >= 0 ? [pollfd(fd: descriptor, events: CShort(POLLIN), revents: 0)] : []
    while true {
      let ready = Glibc.poll(&entries, nfds_t(entries.count), end.pollTimeoutMillis)
      if ready > 0 { return false }
      if ready == 0 || errno != EINTR { return true }
    }
  }
}

/// The errno of a poll(2) that failed other than with EINTR.
struct SocketFailure: Error {
  let errno: Int32
}
