import Glibc
import KQCompression

/// Compresses the records sections of sealed batches on one helper thread while the producer
/// goes on reading and encoding, for every encoder of the producer (one thread however many
/// partitions it writes). `submit` queues a section and returns its ticket; `settle` returns
/// once every queued section is compressed, compressing the ones the thread has not started
/// itself (so a thread that gets no CPU, or none at all, costs nothing but a lock), and
/// `takeResult` then hands out each ticket's encoding once.
///
/// A submitted section must stay where it is and unchanged until `settle` returns: the encoder
/// settles before its buffer grows (and moves), before it moves batches together and before it
/// goes away. The thread starts at the first `submit`, so a producer that never fills a batch
/// (a line now and then) never starts it.
package final class BatchCompressor {
  private let queue = CompressionQueue()
  private var thread: BackgroundWork?
  private var threadFailed = false

  package init() {}

  /// Queues the `count` bytes at `source` for compression with `codec`; returns the ticket
  /// that `takeResult` takes after `settle`.
  package func submit(_ source: UnsafeRawPointer, count: Int, codec: CompressionCodec) -> Int {
    if thread == nil && !threadFailed {
      let queue = self.queue
      thread = BackgroundWork.start { queue.serve() }
      threadFailed = thread == nil
    }
    return queue.submit(CompressionQueue.Task(source: source, count: count, codec: codec))
  }

  /// Returns once every submitted section is compressed.
  package func settle() { queue.settle() }

  /// Hands `body` the encoding of `ticket`'s section, once, only after `settle`: nil when the
  /// codec did not make it smaller (or zlib found no memory), and the section is stored as it is.
  package func takeResult<R>(_ ticket: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    queue.takeResult(ticket, body)
  }

  deinit {
    queue.stop()
    thread?.wait()
  }
}

/// What a `BatchCompressor` and its thread share, under `lock`. Tickets index `tasks` and
/// `results`; both empty again once every result is taken, so they hold one flush at most.
/// Encodings are written into buffers kept for reuse (`spareBuffers`), as many as were ever
/// waiting at once: no allocation per batch once the first flush has made them.
final class CompressionQueue: @unchecked Sendable {
  struct Task {
    var source: UnsafeRawPointer
    var count: Int
    var codec: CompressionCodec
  }

  /// A task's encoding: its bytes at the start of `buffer`, or nil when the codec did not
  /// shrink the section (or zlib found no memory).
  struct Encoding {
    var buffer: ByteBuffer
    var count: Int?
  }

  private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  /// Signalled when a task is queued or at the end (for the thread), broadcast when the
  /// thread finishes a task (for `settle`).
  private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var tasks: [Task] = []
  private var results: [Encoding?] = []
  private var spareBuffers: [ByteBuffer] = []
  /// The first task nobody has started.
  private var nextTask = 0
  private var tasksRunningOnThread = 0
  private var resultsTaken = 0
  private var isStopping = false

  init() {
    pthread_mutex_init(lock, nil)
    pthread_cond_init(changed, nil)
  }

  deinit {
    pthread_cond_destroy(changed)
    pthread_mutex_destroy(lock)
    lock.deallocate()
    changed.deallocate()
  }

  func submit(_ task: Task) -> Int {
    pthread_mutex_lock(lock)
    let ticket = tasks.count
    tasks.append(task)
    results.append(nil)
    pthread_cond_broadcast(changed)
    pthread_mutex_unlock(lock)
    return ticket
  }

  func settle() {
    pthread_mutex_lock(lock)
    while nextTask < tasks.count {
      runNextTask()
    }
    while tasksRunningOnThread > 0 { pthread_cond_wait(changed, lock) }
    pthread_mutex_unlock(lock)
  }

  /// Hands `body` the encoding of `ticket`'s section (nil when it is not smaller), then keeps
  /// its buffer for the next task.
  func takeResult<R>(_ ticket: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    pthread_mutex_lock(lock)
    let encoding = ticket < results.count ? results[ticket] : nil
    if ticket < results.count { results[ticket] = nil }
    pthread_mutex_unlock(lock)
    let result = body(encoding?.count.map { UnsafeRawBufferPointer(start: encoding?.buffer.base, count: $0) })
    pthread_mutex_lock(lock)
    if let encoding { spareBuffers.append(encoding.buffer) }
    resultsTaken += 1
    if resultsTaken == tasks.count && nextTask == tasks.count && tasksRunningOnThread == 0 {
      tasks.removeAll(keepingCapacity: true)
      results.removeAll(keepingCapacity: true)
      nextTask = 0
      resultsTaken = 0
    }
    pthread_mutex_unlock(lock)
    return result
  }

  /// The thread's loop: takes the first task nobody has started, until `stop`.
  func serve() {
    pthread_mutex_lock(lock)
    while true {
      while !isStopping && nextTask >= tasks.count { pthread_cond_wait(changed, lock) }
      if isStopping { break }
      tasksRunningOnThread += 1
      runNextTask()
      tasksRunningOnThread -= 1
      pthread_cond_broadcast(changed)
    }
    pthread_mutex_unlock(lock)
  }

  func stop() {
    pthread_mutex_lock(lock)
    isStopping = true
    pthread_cond_broadcast(changed)
    pthread_mutex_unlock(lock)
  }

  /// Compresses the first task nobody has started, with `lock` held on entry and on return
  /// (not while compressing).
  private func runNextTask() {
    let index = nextTask
    nextTask += 1
    let task = tasks[index]
    let buffer = spareBuffers.popLast() ?? ByteBuffer(capacity: 0)
    pthread_mutex_unlock(lock)
    buffer.count = 0
    buffer.reserve(CompressionCodec.encodingCapacity(task.count))
    let input = UnsafeRawBufferPointer(start: task.source, count: task.count)
    let written = (try? task.codec.compress(input, into: buffer.base)) ?? nil
    pthread_mutex_lock(lock)
    results[index] = Encoding(buffer: buffer, count: written)
  }
}
