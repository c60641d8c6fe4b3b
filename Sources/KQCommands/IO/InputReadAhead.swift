import Glibc
import KQLog

/// Reads a descriptor on a second thread into a `MirroredRing` while the caller encodes what is
/// already there. On two cores `cat file | kq produce t` spent about a third of kq's CPU in the
/// pipe's read(2); the reading thread now runs beside the pipe's writer, and the caller keeps
/// the encoding and the appends, on a core of its own while input keeps coming (`CoreSplit`).
///
/// The caller takes what has been read (`available`), gives back what it is done with
/// (`consume`), and waits for more in `wait`, which also returns on a signal or a timeout so
/// that Ctrl-C and the once-a-second sync keep working. Before it waits, the caller reads what
/// stdin holds itself: the reading thread shares its core with the pipe's writer, the busier
/// core, and reads taken in turn (`isReading`) keep the ring in input order. The reading thread
/// waits in poll(2) on the descriptor and a pipe of its own, which `stop` writes to; both
/// threads read only what poll found (a read waits only where another process took those bytes
/// first).
final class InputReadAhead {
  /// What the reading thread has read and the caller not consumed yet: `count` contiguous bytes
  /// from `bytes`; whether the input ended after them, or failed.
  struct Available {
    let bytes: UnsafeMutableRawPointer
    let count: Int
    let ended: Bool
    let failure: Errno?
  }

  enum Wake { case more, signal, timeout }

  /// A wait longer than this gives the caller its cores back: input that comes slowly needs no
  /// second core, and a producer fed by `tail -f` may run for days.
  static let idleMillis: Int32 = 50

  let ring: MirroredRing
  private let fd: CInt
  private let readSize: Int
  private let monitor = Monitor()
  // Under `monitor`:
  private var written: Int
  private var consumed = 0
  private var ended = false
  private var failure: Errno?
  private var isStopping = false
  private var waitsForRoom = false
  private var callerWaits = false
  /// Whether a read(2) into the ring is under way, on either thread: reads are taken in turn,
  /// so the ring holds the input in order.
  private var isReading = false
  /// Reads the caller made itself (`readWaiting`): when none came between the reading thread's
  /// poll and its turn, what poll found is still there.
  private(set) var callerReads = 0
  /// Woken when the reading thread has read more while the caller waits.
  private let moreRead: WakePipe
  /// Woken when `stop` wants the reading thread to end.
  private let stopping: WakePipe
  private var thread: pthread_t?
  private let split: CoreSplit?
  private var holdsCore = false

  /// Starts the reading thread, the ring holding `prefix` first (bytes the caller read itself).
  /// Reads take at most `readSize` bytes: the ring and a read stay within the cores' caches.
  /// Nil when the ring, a pipe or the thread cannot be made (the caller reads on its own then).
  init?(fd: CInt, prefix: UnsafeRawBufferPointer, ringSize: Int = 1 << 20, readSize: Int = 1 << 17) {
    guard readSize > 0, let ring = MirroredRing(size: max(ringSize, prefix.count + readSize)) else { return nil }
    guard let moreRead = WakePipe(), let stopping = WakePipe() else { return nil }
    self.ring = ring
    self.fd = fd
    self.readSize = readSize
    self.moreRead = moreRead
    self.stopping = stopping
    if let base = prefix.baseAddress, prefix.count > 0 { memcpy(ring.base, base, prefix.count) }
    written = prefix.count
    split = CoreSplit()
    switch HelperThread.start({ [self] in readUntilEnd() }) {
    case .success(let started): thread = started
    case .failure: return nil
    }
    if let split, split.confineCaller() { holdsCore = true }
  }

  deinit { stop() }

  /// What has been read and not consumed.
  func available() -> Available {
    monitor.lock()
    defer { monitor.unlock() }
    return Available(bytes: ring.address(at: consumed), count: written - consumed, ended: ended, failure: failure)
  }

  /// Gives back the first `count` bytes of what is available, for the reading thread to fill.
  func consume(_ count: Int) {
    guard count > 0 else { return }
    monitor.lock()
    consumed += min(count, written - consumed)
    if waitsForRoom { monitor.broadcast() }
    monitor.unlock()
  }

  /// Waits until more than `count` bytes are available (or the input ended or failed), `signals`
  /// is readable, or `timeout` milliseconds pass (-1: no limit).
  func wait(forMoreThan count: Int, signals: CInt?, timeout: Int32) -> Wake {
    var entries = [pollfd(fd: moreRead.readEnd, events: Int16(POLLIN), revents: 0)]
    if let signals { entries.append(pollfd(fd: signals, events: Int16(POLLIN), revents: 0)) }
    var left = timeout
    defer {
      monitor.lock()
      callerWaits = false
      monitor.unlock()
    }
    while true {
      monitor.lock()
      callerWaits = true
      let more = written - consumed > count || ended || failure != nil
      let reads = !more && !isReading && written - consumed < ring.size
      if reads { isReading = true }
      let target = ring.address(at: written)
      let room = min(ring.size - (written - consumed), readSize)
      monitor.unlock()
      if more { return .more }
      if reads && readWaiting(into: target, room: room) { continue }
      let step = holdsCore && (left < 0 || left > Self.idleMillis) ? Self.idleMillis : left
      let result = poll(&entries, nfds_t(entries.count), step)
      if result < 0 {
        if errno == EINTR { continue }
        return .timeout
      }
      if result == 0 {
        if holdsCore { releaseCore() }
        if left >= 0 {
          left -= step
          if left <= 0 { return .timeout }
        }
        continue
      }
      if entries.count > 1 && entries[1].revents != 0 { return .signal }
      moreRead.drain()
    }
  }

  /// Ends the reading thread and waits for it; what it read stays available. The caller's
  /// cores are given back.
  func stop() {
    if holdsCore { releaseCore() }
    guard let running = thread else { return }
    thread = nil
    monitor.broadcasting { isStopping = true }
    stopping.wake()
    // The reading thread itself, when it let go of the last reference (no caller stopped it).
    if pthread_equal(running, pthread_self()) != 0 { pthread_detach(running) } else { pthread_join(running, nil) }
  }

  /// On the caller's thread, while it would otherwise wait for the reading thread: reads what
  /// stdin holds right now into the ring itself (the reading thread shares a core with the
  /// pipe's writer, and that core is the busier one). True when the read brought something,
  /// or the end.
  private func readWaiting(into target: UnsafeMutableRawPointer, room: Int) -> Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let n = poll(&entry, 1, 0) == 1 ? read(fd, target, room) : -1
    let failed = n < 0 && errno != EINTR && errno != EAGAIN && entry.revents != 0 ? Errno.current : nil
    monitor.lock()
    isReading = false
    if n > 0 { written += n } else if n == 0 { ended = true } else if let failed { failure = failed }
    if n >= 0 { callerReads += 1 }
    if waitsForRoom { monitor.broadcast() }
    monitor.unlock()
    return n >= 0 || failed != nil
  }

  private func releaseCore() {
    split?.releaseCaller()
    holdsCore = false
  }

  // MARK: The reading thread

  private func readUntilEnd() {
    split?.enterSecondThread()
    var entries = [
      pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopping.readEnd, events: Int16(POLLIN), revents: 0),
    ]
    while true {
      monitor.lock()
      while !isStopping && !ended && failure == nil && (written - consumed == ring.size || isReading) {
        waitsForRoom = true
        monitor.wait()
      }
      waitsForRoom = false
      let stopped = isStopping || ended || failure != nil
      let readsBefore = callerReads
      monitor.unlock()
      if stopped { return }
      entries[0].revents = 0
      entries[1].revents = 0
      if poll(&entries, 2, -1) < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        return finish(failure: Errno.current)
      }
      if entries[1].revents != 0 { return }
      monitor.lock()
      let turn = !isReading && !ended && failure == nil && written - consumed < ring.size
      if turn { isReading = true }
      let target = ring.address(at: written)
      let room = min(ring.size - (written - consumed), readSize)
      let callerRead = callerReads != readsBefore
      monitor.unlock()
      guard turn else { continue }
      // When the caller read since the poll, it may have taken all poll saw: look again.
      var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: Int16(POLLIN))
      let n = !callerRead || poll(&entry, 1, 0) == 1 ? read(fd, target, room) : -1
      let error = errno
      monitor.lock()
      isReading = false
      if n > 0 { written += n }
      let wakes = callerWaits
      monitor.unlock()
      if n < 0 {
        if entry.revents == 0 || error == EINTR || error == EAGAIN { continue }
        return finish(failure: Errno(error))
      }
      if n == 0 { return finish(failure: nil) }
      if wakes { moreRead.wake() }
    }
  }

  private func finish(failure: Errno?) {
    monitor.broadcasting {
      if let failure { self.failure = failure } else { ended = true }
    }
    moreRead.wake()
  }
}
