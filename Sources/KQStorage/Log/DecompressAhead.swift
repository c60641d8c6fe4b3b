import Glibc
import Synchronization
import KQLog

/// A partition reader's decoding thread for compressed batches: while the consumer copies the
/// records of one decoded batch, this thread decodes the next ones, in the order handed over,
/// each into a buffer of its own. A batch's bytes and its buffer stay the reader's to keep
/// untouched until `wait()` has returned its result.
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
  /// Batches handed over and not yet taken by the thread, oldest first.
  private var jobs: [Job] = []
  /// Results not yet taken by the reader, oldest first.
  private var results: [Result<RecordBatchView, BatchDecodeError>] = []
  private var isStopping = false

  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
    jobs.reserveCapacity(4)
    results.reserveCapacity(4)
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

  /// Has `batch` decoded into `buffer` (`RecordBatchView.decompressed`) after the batches
  /// handed over before it. False when no thread could be started: the caller decodes the
  /// batch itself when it needs it.
  func submit(_ batch: RecordBatchView, into buffer: ByteBuffer, maxMessageBytes: Int) -> Bool {
    guard thread != nil || startThread() else { return false }
    pthread_mutex_lock(mutex)
    jobs.append(Job(batch: batch, buffer: buffer, maxMessageBytes: maxMessageBytes))
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
    return true
  }

  /// The oldest batch handed over and not yet taken, decoded, once the thread is done with it.
  func wait() -> Result<RecordBatchView, BatchDecodeError> {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while results.isEmpty { pthread_cond_wait(condition, mutex) }
    return results.removeFirst()
  }

  /// Ends the thread (after the batches handed over); returns once it has.
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
      while !isStopping && jobs.isEmpty { pthread_cond_wait(condition, mutex) }
      guard !jobs.isEmpty else { break }  // stopping, with nothing left to decode
      let job = jobs.removeFirst()
      pthread_mutex_unlock(mutex)
      let decoded: Result<RecordBatchView, BatchDecodeError>
      do throws(BatchDecodeError) {
        decoded = .success(try job.batch.decompressed(into: job.buffer, maxMessageBytes: job.maxMessageBytes))
      } catch {
        decoded = .failure(error)
      }
      pthread_mutex_lock(mutex)
      results.append(decoded)
      pthread_cond_broadcast(condition)
    }
    pthread_mutex_unlock(mutex)
  }
}
