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
  /// Woken by `stop`: the thread polls it beside `fd`.
  private let stopping: WakePipe
  private var work: BackgroundWork?

  /// Starts the thread; nil when it cannot (the caller feeds `fd` itself). `fd` is the
  /// feeder's from here on (non-blocking), closed when it is done.
  static func start(writing bytes: UnsafeRawBufferPointer, to fd: CInt) -> InputFeeder? {
    guard let stopping = WakePipe() else { return nil }
    let feeder = InputFeeder(fd: fd, bytes: bytes, stopping: stopping)
    // SIGINT and SIGTERM stay with the main thread, which passes them on to the command.
    guard let work = BackgroundWork.start({ feeder.feed() }) else { return nil }
    feeder.work = work
    return feeder
  }

  private init(fd: CInt, bytes: UnsafeRawBufferPointer, stopping: WakePipe) {
    self.fd = fd
    self.bytes = bytes
    self.stopping = stopping
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
      var entries = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0), pollfd(fd: stopping.readEnd, events: Int16(POLLIN), revents: 0)]
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
  func stop() { stopping.wake() }

  /// Waits for the thread to end; how many bytes it wrote.
  func join() -> Int {
    work?.wait()
    work = nil
    return written
  }
}
