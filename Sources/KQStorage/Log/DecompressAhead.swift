import Glibc
import Synchronization
import KQLog

/// A partition reader's decoding thread for compressed batches: while the consumer copies the
/// records of one decoded batch, this thread decodes the next into a buffer of its own (one
/// batch at a time). The reader hands it a batch whose bytes stay in place until `wait()`
/// returns: it reads nothing further from the segment before then.
final class DecompressAhead: @unchecked Sendable {
  private struct Job {
    let batch: RecordBatchView
    let buffer: ByteBuffer
    let maxMessageBytes: Int
  }

  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var thread: pthread_t?
  // Guarded by `mutex`:
  private var job: Job?
  private var result: Result<RecordBatchView, BatchDecodeError>?
  private var isStopping = false

  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    stop()
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  /// Decoding threads running in the process; readers past this many decode on their own
  /// thread, as before (a consume of many partitions has one reader each).
  static let maxThreads = 8
  private static let running = Atomic<Int>(0)

  var isRunning: Bool { thread != nil }

  /// Starts decoding `batch` into `buffer` (`RecordBatchView.decompressed`). False when no
  /// thread could be started: the caller decodes the batch itself when it needs it.
  func submit(_ batch: RecordBatchView, into buffer: ByteBuffer, maxMessageBytes: Int) -> Bool {
    guard thread != nil || startThread() else { return false }
    pthread_mutex_lock(mutex)
    job = Job(batch: batch, buffer: buffer, maxMessageBytes: maxMessageBytes)
    result = nil
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
    return true
  }

  /// The submitted batch, decoded, once the thread is done with it.
  func wait() -> Result<RecordBatchView, BatchDecodeError> {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while true {
      if let result {
        self.result = nil
        return result
      }
      pthread_cond_wait(condition, mutex)
    }
  }

  /// Ends the thread (after the batch it is decoding); returns once it has.
  func stop() {
    guard let thread else { return }
    pthread_mutex_lock(mutex)
    isStopping = true
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
    pthread_join(thread, nil)
    self.thread = nil
  }

  private func startThread() -> Bool {
    guard Self.running.add(1, ordering: .relaxed).newValue <= Self.maxThreads else {
      Self.running.subtract(1, ordering: .relaxed)
      return false
    }
    // Every asynchronous signal blocked, as on `ReadAhead`'s thread: Ctrl-C, SIGTERM and
    // SIGPIPE still reach the reader's thread; faults (a mapped page cut off) stay here.
    var blocked = sigset_t()
    var previous = sigset_t()
    sigfillset(&blocked)
    for fault in [SIGBUS, SIGSEGV, SIGILL, SIGFPE] { sigdelset(&blocked, fault) }
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var created = pthread_t()
    let context = Unmanaged.passRetained(self).toOpaque()
    let status = pthread_create(&created, nil, { raw in
      guard let raw else { return nil }
      Unmanaged<DecompressAhead>.fromOpaque(raw).takeUnretainedValue().run()
      Unmanaged<DecompressAhead>.fromOpaque(raw).release()
      DecompressAhead.running.subtract(1, ordering: .relaxed)
      return nil
    }, context)
    guard status == 0 else {
      Unmanaged<DecompressAhead>.fromOpaque(context).release()
      Self.running.subtract(1, ordering: .relaxed)
      return false
    }
    thread = created
    return true
  }

  private func run() {
    pthread_mutex_lock(mutex)
    while true {
      while !isStopping && job == nil { pthread_cond_wait(condition, mutex) }
      guard let job else { break }  // stopping, with nothing left to decode
      self.job = nil
      pthread_mutex_unlock(mutex)
      let decoded: Result<RecordBatchView, BatchDecodeError>
      do throws(BatchDecodeError) {
        decoded = .success(try job.batch.decompressed(into: job.buffer, maxMessageBytes: job.maxMessageBytes))
      } catch {
        decoded = .failure(error)
      }
      pthread_mutex_lock(mutex)
      result = decoded
      pthread_cond_broadcast(condition)
    }
    pthread_mutex_unlock(mutex)
  }
}
