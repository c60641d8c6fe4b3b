import Glibc
import KQCompression

/// Compresses the records sections of sealed batches on a second thread while the encoder goes
/// on encoding the next batch into the same buffer: `submit` queues a section, `settle` returns
/// once every queued section is compressed (taking the ones the thread has not started itself,
/// so a thread that gets no CPU costs nothing but a lock), and `result(at:)` then hands out each
/// section's encoding in submission order.
///
/// A submitted section must stay where it is and unchanged until `settle` returns: the encoder
/// settles before its buffer grows (and moves) and before it moves batches together.
final class BatchCompressor: @unchecked Sendable {
  private struct Task {
    var source: UnsafeRawPointer
    var count: Int
  }

  let codec: CompressionCodec
  private let lock: UnsafeMutablePointer<pthread_mutex_t>
  /// Broadcast when tasks are queued, when the thread finishes one, and at the end.
  private let changed: UnsafeMutablePointer<pthread_cond_t>
  // Under `lock` while the thread runs:
  private var tasks: UnsafeMutablePointer<Task>
  private var results: UnsafeMutablePointer<[UInt8]?>
  private var capacity = 16
  private var submitted = 0
  private var taken = 0
  private var threadBusy = false
  private var stopping = false
  private var thread: pthread_t?
  private var threadFailed = false

  init(codec: CompressionCodec) {
    self.codec = codec
    lock = .allocate(capacity: 1)
    changed = .allocate(capacity: 1)
    pthread_mutex_init(lock, nil)
    pthread_cond_init(changed, nil)
    tasks = .allocate(capacity: capacity)
    results = .allocate(capacity: capacity)
  }

  /// Sections submitted since the last `clear`.
  var count: Int { submitted }

  /// Queues the `count` bytes at `source` for compression.
  func submit(_ source: UnsafeRawPointer, count: Int) {
    if submitted == capacity { grow() }
    if thread == nil && !threadFailed { startThread() }
    pthread_mutex_lock(lock)
    tasks[submitted] = Task(source: source, count: count)
    (results + submitted).initialize(to: nil)
    submitted += 1
    pthread_cond_broadcast(changed)
    pthread_mutex_unlock(lock)
  }

  /// Returns once every submitted section is compressed.
  func settle() {
    pthread_mutex_lock(lock)
    while taken < submitted {
      let index = taken
      taken += 1
      pthread_mutex_unlock(lock)
      compress(index)
      pthread_mutex_lock(lock)
    }
    while threadBusy { pthread_cond_wait(changed, lock) }
    pthread_mutex_unlock(lock)
  }

  /// The encoding of the `index`-th section; nil when the codec failed (zlib found no memory).
  /// Only after `settle`.
  func result(at index: Int) -> [UInt8]? { results[index] }

  /// Forgets every section and result. Only after `settle`.
  func clear() {
    results.deinitialize(count: submitted)
    submitted = 0
    taken = 0
  }

  /// Writes `results[index]`, which no other thread touches until `settle` returns.
  private func compress(_ index: Int) {
    let task = tasks[index]
    results[index] = try? codec.compress(UnsafeRawBufferPointer(start: task.source, count: task.count))
  }

  private func grow() {
    settle()
    let newCapacity = capacity * 2
    let newTasks = UnsafeMutablePointer<Task>.allocate(capacity: newCapacity)
    let newResults = UnsafeMutablePointer<[UInt8]?>.allocate(capacity: newCapacity)
    newTasks.moveInitialize(from: tasks, count: submitted)
    newResults.moveInitialize(from: results, count: submitted)
    pthread_mutex_lock(lock)
    tasks.deallocate()
    results.deallocate()
    tasks = newTasks
    results = newResults
    capacity = newCapacity
    pthread_mutex_unlock(lock)
  }

  private func serve() {
    pthread_mutex_lock(lock)
    while true {
      while !stopping && taken >= submitted { pthread_cond_wait(changed, lock) }
      if stopping { break }
      let index = taken
      taken += 1
      threadBusy = true
      pthread_mutex_unlock(lock)
      compress(index)
      pthread_mutex_lock(lock)
      threadBusy = false
      pthread_cond_broadcast(changed)
    }
    pthread_mutex_unlock(lock)
  }

  private func startThread() {
    // SIGINT and SIGTERM stay with the main thread.
    var blocked = sigset_t()
    var previous = sigset_t()
    sigemptyset(&blocked)
    sigaddset(&blocked, SIGINT)
    sigaddset(&blocked, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var created = pthread_t()
    let context = Unmanaged.passUnretained(self).toOpaque()
    let result = pthread_create(&created, nil, { raw in
      guard let raw else { return nil }
      Unmanaged<BatchCompressor>.fromOpaque(raw).takeUnretainedValue().serve()
      return nil
    }, context)
    if result == 0 { thread = created } else { threadFailed = true }
  }

  deinit {
    settle()
    if let thread {
      pthread_mutex_lock(lock)
      stopping = true
      pthread_cond_broadcast(changed)
      pthread_mutex_unlock(lock)
      pthread_join(thread, nil)
    }
    results.deinitialize(count: submitted)
    results.deallocate()
    tasks.deallocate()
    pthread_cond_destroy(changed)
    pthread_mutex_destroy(lock)
    lock.deallocate()
    changed.deallocate()
  }
}
