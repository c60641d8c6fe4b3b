import Glibc
import KQLog
import Synchronization

/// Writes a buffer into a command's stdin on a thread of its own, then closes it, so that kq's
/// main thread reads and parses the command's output meanwhile (`kq pipe`: on two cores,
/// the copy into the pipe no longer waits behind the parsing). `stop()` ends it early.
final class InputFeeder {
  private let fd: CInt
  private let bytes: UnsafeRawBufferPointer
  /// Written by the thread before it ends; read after `join`.
  private var written = 0
  /// Set once the thread has closed the command's stdin: from then on kq holds no copy of it.
  private let closed = Atomic<Bool>(false)
  /// A pipe whose write end `stop` writes to: the thread polls its read end beside `fd`.
  private let stopRead: CInt
  private let stopWrite: CInt
  private var work: BackgroundWork?

  /// Starts the thread; nil when it cannot (the caller feeds `fd` itself). `fd` is the
  /// feeder's from here on (non-blocking), closed when it is done.
  static func start(writing bytes: UnsafeRawBufferPointer, to fd: CInt) -> InputFeeder? {
    var ends: [CInt] = [-1, -1]
    guard pipe(&ends) == 0 else { return nil }
    for end in ends {
      _ = fcntl(end, F_SETFD, FD_CLOEXEC)
      _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
    }
    let feeder = InputFeeder(fd: fd, bytes: bytes, stopRead: ends[0], stopWrite: ends[1])
    // SIGINT and SIGTERM stay with the main thread, which passes them on to the command.
    guard let work = BackgroundWork.start({ feeder.feed() }) else { return nil }
    feeder.work = work
    return feeder
  }

  private init(fd: CInt, bytes: UnsafeRawBufferPointer, stopRead: CInt, stopWrite: CInt) {
    self.fd = fd
    self.bytes = bytes
    self.stopRead = stopRead
    self.stopWrite = stopWrite
  }

  deinit {
    close(stopRead)
    close(stopWrite)
  }

  private func feed() {
    var offset = 0
    defer {
      written = offset
      close(fd)
      closed.store(true, ordering: .releasing)
    }
    guard let base = bytes.baseAddress else { return }
    while offset < bytes.count {
      var entries = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0), pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0)]
      if poll(&entries, 2, -1) < 0 {
        if errno == EINTR { continue }
        return
      }
      if entries[1].revents != 0 { return }
      if entries[0].revents & Int16(POLLOUT) == 0 { return }  // POLLERR: nobody reads it
      let n = write(fd, base + offset, bytes.count - offset)
      if n > 0 {
        offset += n
      } else if n < 0 && errno != EINTR && errno != EAGAIN {
        return  // EPIPE: the command stopped reading
      }
    }
  }

  /// Whether the command's stdin is closed (all of it written, or the feeding stopped).
  var isDone: Bool { closed.load(ordering: .acquiring) }

  /// Makes the thread stop writing (the command is being killed, or kq is stopping).
  func stop() {
    var byte: UInt8 = 1
    _ = write(stopWrite, &byte, 1)
  }

  /// Waits for the thread to end; how many bytes it wrote.
  func join() -> Int {
    work?.wait()
    work = nil
    return written
  }
}
