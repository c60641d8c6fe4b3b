import Glibc
import KQLog

/// Writes a consumer's full output buffers to a regular file on a second thread while the
/// consumer fills the next one: write(2) into the page cache is about half of consuming to a
/// file. Two buffers take turns, written in the order handed over, so the file's bytes are the
/// ones one thread writing them would make. Only for a regular file: a write there is not cut
/// short by a signal and never waits for a reader, so handing over and waiting stay short.
///
/// The thread starts at the first `handOver` that may start it (a full buffer, with more to
/// come), so a consume of a few records never starts it.
/// After a failed write it writes nothing more; the failure comes back from the next
/// `handOver` or `finishWrites`, with the bytes written before it.
final class OutputWriterThread: @unchecked Sendable {
  struct Progress {
    var written = 0
    var failure: Errno?
  }

  private let fd: CInt
  private let monitor = Monitor()
  private var work: BackgroundWork?
  private var threadFailed = false
  // Guarded by `monitor`:
  /// The buffer being written, nil when the thread is idle.
  private var inFlight: ByteBuffer?
  /// The buffer written last, returned for reuse.
  private var spare: ByteBuffer
  /// What was written since the last `take`.
  private var progress = Progress()
  private var stopping = false

  /// A writer for `sink` when it is a descriptor on a regular file, else nil.
  static func forRegularFile(_ sink: any ByteSink, bufferCapacity: Int) -> OutputWriterThread? {
    guard let fdSink = sink as? FileDescriptorSink else { return nil }
    var info = stat()
    guard fstat(fdSink.fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return OutputWriterThread(fd: fdSink.fd, spare: ByteBuffer(capacity: bufferCapacity))
  }

  private init(fd: CInt, spare: ByteBuffer) {
    self.fd = fd
    self.spare = spare
  }

  deinit {
    monitor.broadcasting { stopping = true }
    work?.wait()
  }

  /// Hands `full` over to be written and returns an empty buffer to fill next, with what the
  /// writes finished meanwhile did. Waits while the previous buffer is still being written.
  /// Without a thread (not `startingThread`, or none could be made), writes `full` here.
  func handOver(_ full: ByteBuffer, startingThread: Bool) -> (empty: ByteBuffer, progress: Progress) {
    if startingThread && work == nil && !threadFailed { startThread() }
    guard work != nil else {
      let done = Self.write(fd, full)
      full.count = 0
      return (full, done)
    }
    monitor.lock()
    while inFlight != nil { monitor.wait() }
    let empty = spare
    let done = takeProgress()
    inFlight = full
    monitor.broadcast()
    monitor.unlock()
    empty.count = 0
    return (empty, done)
  }

  /// Waits for the buffer being written, if any; returns what the writes since the last
  /// `handOver` or `finishWrites` did.
  func finishWrites() -> Progress {
    monitor.lock()
    defer { monitor.unlock() }
    while inFlight != nil { monitor.wait() }
    return takeProgress()
  }

  /// Called with `monitor` held.
  private func takeProgress() -> Progress {
    let taken = progress
    progress.written = 0
    return taken
  }

  private func startThread() {
    work = BackgroundWork.start { [self] in serve() }
    threadFailed = work == nil
  }

  private func serve() {
    monitor.lock()
    while true {
      while inFlight == nil && !stopping { monitor.wait() }
      guard let buffer = inFlight else { break }
      let failedBefore = progress.failure != nil
      monitor.unlock()
      let done = failedBefore ? Progress() : Self.write(fd, buffer)
      monitor.lock()
      progress.written += done.written
      if progress.failure == nil { progress.failure = done.failure }
      spare = buffer
      inFlight = nil
      monitor.broadcast()
    }
    monitor.unlock()
  }

  /// Writes all of `buffer` to a regular file (or /dev/null), or as much as it took before
  /// failing. Also `BatchValueWriter`'s.
  static func write(_ fd: CInt, _ buffer: ByteBuffer) -> Progress {
    var done = 0
    while done < buffer.count {
      let n = Glibc.write(fd, buffer.base + done, buffer.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        return Progress(written: done, failure: Errno.current)
      }
      done += n
    }
    return Progress(written: done)
  }
}
