import Glibc
import Synchronization

/// A segment reader's second thread. While the reader copies records out of one mapped window,
/// this thread maps the next window (taking its page faults) and checks the CRC of every whole
/// batch in it, so a bulk read's CRC pass runs on another core. One window ahead at most, so a
/// reader holds at most two windows.
///
/// The reader trusts a check only for a batch whose position, size and stored CRC are the ones
/// this thread saw (a writer that cut those bytes and wrote new ones since changed them), and
/// none once a mapping fault has happened (`MappingFaults`): it checks such batches itself.
final class ReadAhead: @unchecked Sendable {
  /// A window made by the thread: its mapping, and the whole batches checked in it, from the
  /// first (at `start`) to just before `end`, where the next window starts.
  final class Window: @unchecked Sendable {
    let region: MappedRegion
    let start: Int64
    private(set) var end: Int64
    private(set) var checked: [CheckedBatch] = []
    /// Checking stopped at a batch that fails its checks or is cut short: nothing follows.
    private(set) var stoppedEarly = false

    init(region: MappedRegion, start: Int64) {
      self.region = region
      self.start = start
      self.end = start
    }

    /// Checks batches from `start` while they lie whole in the region (and the file). Without
    /// `verifying`, only steps over them to find where the next window starts.
    fileprivate func check(fileSize: Int64, verifying: Bool, stop: borrowing Atomic<Bool>) {
      let faults = MappingFaults.current
      var position = start
      if verifying { checked.reserveCapacity(64) }
      while position + Int64(BatchLayout.logOverhead) <= region.end, checked.count < ReadAhead.maxBatchesPerWindow {
        if stop.load(ordering: .relaxed) { break }
        let at = region.pointer(at: position)
        guard let size = RecordBatchView.announcedSize(at: at, available: BatchLayout.logOverhead),
          size >= BatchLayout.headerSize
        else {
          stoppedEarly = true
          break
        }
        if position + Int64(size) > region.end {
          stoppedEarly = region.end >= fileSize  // cut short by the file, not by the window
          break
        }
        if verifying {
          guard let view = try? RecordBatchView(at: at, available: size), (try? view.validateCRC()) != nil else {
            stoppedEarly = true
            break
          }
          checked.append(CheckedBatch(position: position, size: size, crc: view.storedCRC))
        }
        position += Int64(size)
      }
      end = position
      if MappingFaults.current != faults {
        checked = []
        stoppedEarly = true
      }
    }
  }

  struct CheckedBatch {
    let position: Int64
    let size: Int
    let crc: UInt32
  }

  /// Tiny batches would make a long list; a window ends early instead.
  static let maxBatchesPerWindow = 4096

  private let fd: CInt
  private let path: String
  private let fileSystem: FileSystem
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var thread: pthread_t?
  private let stopping = Atomic<Bool>(false)
  // Guarded by `mutex`:
  /// Where the next window starts, once the one at `walkFrom` (the reader's own) is walked.
  private var cursor: Int64 = 0
  private var walkFrom: Int64?
  private var fileSize: Int64 = 0
  private var ready: Window?
  private var isWorking = false
  private var isDone = true

  /// `fd` must stay open until `stop()` returns.
  init(fd: CInt, path: String, fileSystem: FileSystem) {
    self.fd = fd
    self.path = path
    self.fileSystem = fileSystem
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  /// Has the thread walk the window the reader just mapped at `start` (to find where the
  /// next one starts) and make the next one. False when no thread could be started.
  func begin(after start: Int64, fileSize: Int64) -> Bool {
    pthread_mutex_lock(mutex)
    walkFrom = start
    cursor = start
    self.fileSize = fileSize
    ready = nil
    isDone = false
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
    return thread != nil || startThread()
  }

  /// The window starting at `start`, waiting while the thread is making it; nil when the
  /// thread is not heading there (the reader then maps the window itself).
  func take(at start: Int64) -> Window? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while ready == nil && (isWorking || !isDone) { pthread_cond_wait(condition, mutex) }
    guard let window = ready, window.start == start, window.end > start else {
      ready = nil
      isDone = true
      return nil
    }
    ready = nil
    pthread_cond_broadcast(condition)
    return window
  }

  /// Ends the thread; returns once it has.
  func stop() {
    guard let thread else { return }
    stopping.store(true, ordering: .relaxed)
    pthread_mutex_lock(mutex)
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
    pthread_join(thread, nil)
    self.thread = nil
  }

  private func startThread() -> Bool {
    // The thread starts with every asynchronous signal blocked, so that Ctrl-C, SIGTERM and
    // SIGPIPE still reach (and interrupt) the reader's thread; faults stay deliverable here.
    var blocked = sigset_t()
    var previous = sigset_t()
    sigfillset(&blocked)
    for fault in [SIGBUS, SIGSEGV, SIGILL, SIGFPE] { sigdelset(&blocked, fault) }
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var created = pthread_t()
    let context = Unmanaged.passRetained(self).toOpaque()
    let result = pthread_create(&created, nil, { raw in
      guard let raw else { return nil }
      Unmanaged<ReadAhead>.fromOpaque(raw).takeRetainedValue().run()
      return nil
    }, context)
    guard result == 0 else {
      Unmanaged<ReadAhead>.fromOpaque(context).release()
      return false
    }
    thread = created
    return true
  }

  private func run() {
    pthread_mutex_lock(mutex)
    while true {
      while !stopping.load(ordering: .relaxed) && (ready != nil || isDone) { pthread_cond_wait(condition, mutex) }
      if stopping.load(ordering: .relaxed) { break }
      let start = cursor
      let size = fileSize
      let walking = walkFrom == start
      isWorking = true
      pthread_mutex_unlock(mutex)
      let window = make(at: start, fileSize: size, verifying: !walking)
      pthread_mutex_lock(mutex)
      isWorking = false
      defer { pthread_cond_broadcast(condition) }
      guard cursor == start, !stopping.load(ordering: .relaxed) else { continue }  // begun anew meanwhile
      guard let window, window.end > start else {
        isDone = true
        continue
      }
      cursor = window.end
      if window.stoppedEarly || size - window.end < SegmentBatchReader.mapThreshold { isDone = true }
      if walking {
        walkFrom = nil
      } else {
        ready = window
      }
    }
    pthread_mutex_unlock(mutex)
  }

  private func make(at start: Int64, fileSize: Int64, verifying: Bool) -> Window? {
    guard fileSize - start >= SegmentBatchReader.mapThreshold else { return nil }
    guard var region = SegmentBatchReader.mapWindow(
      fileSystem, fd, path, at: start, needed: BatchLayout.logOverhead, fileSize: fileSize)
    else { return nil }
    if let size = RecordBatchView.announcedSize(at: region.pointer(at: start), available: BatchLayout.logOverhead),
      start + Int64(size) > region.end, start + Int64(size) <= fileSize,
      let larger = SegmentBatchReader.mapWindow(fileSystem, fd, path, at: start, needed: size, fileSize: fileSize)
    {
      region = larger
    }
    let window = Window(region: region, start: start)
    window.check(fileSize: fileSize, verifying: verifying, stop: stopping)
    return window
  }
}
