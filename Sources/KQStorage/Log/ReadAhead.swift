import Glibc
import Synchronization
import KQLog

/// A segment reader's second thread. While the reader copies records out of one mapped window,
/// this thread maps the next window (taking its page faults) and checks the CRC of its whole
/// batches in order, publishing each check as it goes. The reader takes the window as soon as
/// it is mapped; when it reaches a batch not checked yet, it tells the thread to stop checking
/// that window and checks the rest itself, so the two share the CRC work whichever is faster.
/// One window ahead at most: a reader holds at most two windows.
///
/// The reader trusts a check only for a batch whose position, size and stored CRC are the ones
/// this thread saw (a writer that cut those bytes and wrote new ones since changed them), and
/// touches its pages before handing it out (a page cut off since faults: `MappingFaults`).
final class ReadAhead: @unchecked Sendable {
  /// A window made by the thread, from the batch at `start`, and the checks published so far.
  final class Window: @unchecked Sendable {
    let region: MappedRegion
    let start: Int64
    /// Checks [0, published) are final; the thread writes, the reader reads.
    private let checks: UnsafeMutablePointer<CheckedBatch>
    private let published = Atomic<Int>(0)
    /// Set by the reader once it checks batches of this window itself.
    private let abandoned = Atomic<Bool>(false)

    init(region: MappedRegion, start: Int64) {
      self.region = region
      self.start = start
      checks = .allocate(capacity: ReadAhead.maxChecksPerWindow)
    }

    deinit { checks.deallocate() }

    /// For the reader: whether the thread checked the batch at `position` with this size and
    /// stored CRC. `index` is the reader's place in the checks. A batch not checked yet is the
    /// reader's to check, and so is every later one.
    @inline(__always)
    func wasChecked(position: Int64, size: Int, crc: UInt32, index: inout Int) -> Bool {
      let count = published.load(ordering: .acquiring)
      while index < count && checks[index].position < position { index += 1 }
      guard index < count else {
        abandoned.store(true, ordering: .relaxed)
        return false
      }
      let check = checks[index]
      return check.position == position && check.size == size && check.crc == crc
    }

    /// For the thread: steps over the batches from `start` while they lie whole in the region,
    /// checking and publishing each while `verifying` and the reader has not taken over.
    /// Returns where the next window starts, and whether stepping stopped at a batch that is
    /// damaged or cut short by the end of the file (or at a mapping fault, or `stop`).
    fileprivate func walk(fileSize: Int64, verifying: Bool, stop: borrowing Atomic<Bool>) -> (end: Int64, stopped: Bool) {
      let faults = MappingFaults.current
      var verifying = verifying
      var count = 0
      var position = start
      while position + Int64(BatchLayout.logOverhead) <= region.end {
        if stop.load(ordering: .relaxed) || MappingFaults.current != faults { return (position, true) }
        let at = region.pointer(at: position)
        guard let size = RecordBatchView.announcedSize(at: at, available: BatchLayout.logOverhead),
          size >= BatchLayout.headerSize
        else { return (position, true) }
        if position + Int64(size) > region.end { return (position, region.end >= fileSize) }
        if verifying && (count == ReadAhead.maxChecksPerWindow || abandoned.load(ordering: .relaxed)) {
          verifying = false
        }
        if verifying {
          guard let view = try? RecordBatchView(at: at, available: size), (try? view.validateCRC()) != nil else {
            return (position, true)
          }
          checks[count] = CheckedBatch(position: position, size: size, crc: view.storedCRC)
          count += 1
          published.store(count, ordering: .releasing)
        }
        position += Int64(size)
      }
      return (position, MappingFaults.current != faults)
    }
  }

  struct CheckedBatch {
    let position: Int64
    let size: Int
    let crc: UInt32
  }

  /// How long the reader waits for a window before mapping it itself.
  static let patienceNanos = 300_000
  /// Tiny batches would make a long list: past this many, the reader checks them itself.
  static let maxChecksPerWindow = 4096

  private let fd: CInt
  private let path: String
  private let fileSystem: FileSystem
  private let monitor = Monitor()
  private var thread: pthread_t?
  private let stopping = Atomic<Bool>(false)
  // Guarded by `monitor`:
  /// Where the next window starts, once the one at `walkFrom` (the reader's own) is walked.
  private var cursor: Int64 = 0
  private var walkFrom: Int64?
  private var fileSize: Int64 = 0
  private var ready: Window?
  /// A window the reader is done with, unmapped by this thread once it has checked the next
  /// one: unmapping a 2 MiB window takes tens of microseconds (its page tables, and a TLB
  /// shootdown on the other core), about a tenth of a bulk read's time on the reader's thread.
  private var retired: MappedRegion?
  private var isWorking = false
  private var isDone = true

  /// `fd` must stay open until `stop()` returns.
  init(fd: CInt, path: String, fileSystem: FileSystem) {
    self.fd = fd
    self.path = path
    self.fileSystem = fileSystem
  }

  /// Has the thread walk the window the reader just mapped at `start` (to find where the
  /// next one starts) and make the next one. False when no thread could be started.
  func begin(after start: Int64, fileSize: Int64) -> Bool {
    monitor.lock()
    walkFrom = start
    cursor = start
    self.fileSize = fileSize
    ready = nil
    isDone = false
    monitor.broadcast()
    monitor.unlock()
    return thread != nil || startThread()
  }

  /// Read-ahead threads running in the process; readers past this many check their own CRCs.
  /// A thread sleeps while its window waits for its reader, so eight (a partition's reads each,
  /// as `kq consume` of an 8-partition topic makes) share the spare core without much
  /// switching, and the windows they hold stay within `SegmentBatchReader.maxWindows`.
  static let threads = ThreadQuota(limit: 8)

  /// The window starting at `start`, waiting a little while the thread maps it; nil when the
  /// thread is not heading there or is late (not running: its CPU is busy), and the reader
  /// maps the window itself.
  func take(at start: Int64) -> Window? {
    monitor.lock()
    defer { monitor.unlock() }
    var deadline = timespec()
    clock_gettime(CLOCK_REALTIME, &deadline)
    deadline.tv_nsec += Self.patienceNanos
    if deadline.tv_nsec >= 1_000_000_000 {
      deadline.tv_sec += 1
      deadline.tv_nsec -= 1_000_000_000
    }
    while ready == nil && (isWorking || !isDone) {
      if !monitor.wait(until: &deadline) { return nil }
    }
    guard let window = ready, window.start == start else {
      ready = nil
      isDone = true
      return nil
    }
    ready = nil
    monitor.broadcast()
    return window
  }

  /// Hands over a window the reader is done with, for this thread to unmap. A window handed
  /// over before the last one was unmapped is unmapped here.
  func retire(_ region: MappedRegion) {
    monitor.lock()
    let earlier = retired
    retired = region
    monitor.unlock()
    withExtendedLifetime(earlier) {}  // unmapped after the unlock
  }

  /// Ends the thread; returns once it has.
  func stop() {
    guard let thread else { return }
    stopping.store(true, ordering: .relaxed)
    monitor.lock()
    monitor.broadcast()
    monitor.unlock()
    pthread_join(thread, nil)
    self.thread = nil
  }

  private func startThread() -> Bool {
    guard let created = Self.threads.start({ [self] in run() }) else { return false }
    thread = created
    return true
  }

  private func run() {
    monitor.lock()
    while true {
      while !stopping.load(ordering: .relaxed) && (ready != nil || isDone) { monitor.wait() }
      if stopping.load(ordering: .relaxed) { break }
      let start = cursor
      let size = fileSize
      let walking = walkFrom == start
      isWorking = true
      monitor.unlock()
      let window = make(at: start, fileSize: size)
      if let window, !walking {
        monitor.lock()
        if cursor == start { ready = window }  // the reader may take it while it is checked
        monitor.broadcast()
        monitor.unlock()
      }
      let (end, stopped) = window?.walk(fileSize: size, verifying: !walking, stop: stopping) ?? (start, true)
      monitor.lock()
      let finished = retired
      retired = nil
      monitor.unlock()
      withExtendedLifetime(finished) {}  // unmapped here, after the checks and outside the lock
      monitor.lock()
      isWorking = false
      defer { monitor.broadcast() }
      guard cursor == start, !stopping.load(ordering: .relaxed) else { continue }  // begun anew meanwhile
      if walking { walkFrom = nil }
      cursor = end
      if stopped || end == start || size - end < SegmentBatchReader.mapThreshold { isDone = true }
    }
    monitor.unlock()
  }

  private func make(at start: Int64, fileSize: Int64) -> Window? {
    guard fileSize - start >= SegmentBatchReader.mapThreshold,
      let region = SegmentBatchReader.mapWindow(
        fileSystem, fd, path, at: start, needed: BatchLayout.logOverhead, fileSize: fileSize)
    else { return nil }
    return Window(region: region, start: start)
  }

}
