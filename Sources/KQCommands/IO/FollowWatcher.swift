import Glibc
import KQStorage

/// Waits for partitions to change, woken by inotify (not a sleep loop), while also noticing
/// Ctrl-C, a reader that closed stdout, and an idle timeout.
final class FollowWatcher {
  enum Wake { case changed, signal(Int32), readerGone, timeout }

  private let fd: CInt
  private let buffer = ByteBuffer(capacity: 4096)

  init(paths: [String]) throws {
    fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
    guard fd >= 0 else { throw StorageError.io(.current, operation: "inotify", path: paths.first ?? "") }
    // A folder moved away or removed (its topic deleted) wakes the follower too.
    let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
    for path in paths where inotify_add_watch(fd, path, mask) < 0 {
      throw StorageError.io(.current, operation: "watch", path: path)
    }
  }

  deinit { close(fd) }

  func wait(signals: SignalWatcher?, stdout: CInt?, timeoutMillis: Int64?) -> Wake {
    var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
    let signalIndex = signals.map { _ in entries.count }
    if let signals { entries.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)) }
    let stdoutIndex = stdout.map { _ in entries.count }
    // A pipe's write end reports POLLERR once its reader has gone.
    if let stdout { entries.append(pollfd(fd: stdout, events: 0, revents: 0)) }
    let timeout = timeoutMillis.map { Int32(clamping: $0) } ?? -1
    while true {
      let result = poll(&entries, nfds_t(entries.count), timeout)
      if result < 0 && errno == EINTR { continue }
      if result == 0 { return .timeout }
      break
    }
    if let signalIndex, entries[signalIndex].revents != 0, let number = signals?.pending() { return .signal(number) }
    if let stdoutIndex, entries[stdoutIndex].revents & Int16(POLLERR | POLLHUP) != 0 { return .readerGone }
    while read(fd, buffer.base, buffer.capacity) > 0 {}
    return .changed
  }
}
