import Glibc
import KQLog

/// A `RecordWaiter` over partition folders: inotify wakes it when a segment is written,
/// created or renamed in one, or the folder itself goes (its topic deleted).
final class FolderWatcher: RecordWaiter {
  private let fd: CInt
  private let buffer = ByteBuffer(capacity: 4096)

  init(folders: [String]) throws(StorageError) {
    fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
    guard fd >= 0 else { throw .io(.current, operation: "inotify", path: folders.first ?? "") }
    let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
    for folder in folders where inotify_add_watch(fd, folder, mask) < 0 {
      throw .io(.current, operation: "watch", path: folder)  // deinit closes fd
    }
  }

  deinit { close(fd) }

  func wait(wakingFor sources: [WakeSource], timeoutMillis: Int64?) -> WaitOutcome {
    var entries = sources.map { pollfd(fd: $0.descriptor, events: $0.events, revents: 0) }
    entries.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
    let timeout = timeoutMillis.map { Int32(clamping: $0) } ?? -1
    while true {
      let result = poll(&entries, nfds_t(entries.count), timeout)
      if result < 0 && errno == EINTR { continue }
      if result == 0 { return .timedOut }
      break
    }
    for index in sources.indices where entries[index].revents != 0 {
      return .source(index: index, events: entries[index].revents)
    }
    while read(fd, buffer.base, buffer.capacity) > 0 {}
    return .recordsMayHaveArrived
  }
}
