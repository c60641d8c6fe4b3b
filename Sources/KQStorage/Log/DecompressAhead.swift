import Glibc
import Synchronization
import KQLog

/// A partition reader's decoding thread for compressed batches: while the consumer copies the
/// records of one decoded batch, this thread decodes the next ones, oldest first, each into a
/// buffer of its own. A reader that wants a batch the thread is still decoding decodes the
/// newest one waiting meanwhile, rather than sleep (and then wake) while the thread works: the
/// two share the decoding. A batch's bytes and its buffer stay untouched by the reader until
/// `wait()` has returned its result.
final class DecompressAhead: @unchecked Sendable {
  private struct Job {
    let sequence: Int
    let batch: RecordBatchView
    let buffer: ByteBuffer
    let maxMessageBytes: Int
  }

  private let monitor = Monitor()
  private var thread: pthread_t?
  // Guarded by `monitor`:
  /// Batches handed over and not yet taken by the thread, oldest first.
  private var jobs: [Job] = []
  /// Results not yet taken by the reader, by the sequence number of their job.
  private var results: [(sequence: Int, result: Result<RecordBatchView, BatchDecodeError>)] = []
  /// The sequence number of the next batch handed over, and of the next `wait()` returns.
  private var submitted = 0
  private var taken = 0
  private var isStopping = false

  init() {
    jobs.reserveCapacity(4)
    results.reserveCapacity(4)
  }

  deinit { stop() }

  /// Decoding threads running in the process; readers past this many decode on their own
  /// thread, as before (a consume of many partitions has one reader each).
  static let threads = ThreadQuota(limit: 8)

  var isRunning: Bool { thread != nil }

  /// Has `batch` decoded into `buffer` (`RecordBatchView.decompressed`) after the batches
  /// handed over before it. False when no thread could be started: the caller decodes the
  /// batch itself when it needs it.
  func submit(_ batch: RecordBatchView, into buffer: ByteBuffer, maxMessageBytes: Int) -> Bool {
    guard thread != nil || startThread() else { return false }
    monitor.lock()
    jobs.append(Job(sequence: submitted, batch: batch, buffer: buffer, maxMessageBytes: maxMessageBytes))
    submitted += 1
    monitor.broadcast()
    monitor.unlock()
    return true
  }

  /// The oldest batch handed over and not yet taken, decoded. While it is not, decodes here
  /// the batch itself if the thread has not taken it yet, else the newest the thread has not
  /// taken; sleeps only when the thread has taken them all.
  func wait() -> Result<RecordBatchView, BatchDecodeError> {
    monitor.lock()
    defer { monitor.unlock() }
    let wanted = taken
    while true {
      if let index = results.firstIndex(where: { $0.sequence == wanted }) {
        taken += 1
        return results.remove(at: index).result
      }
      guard let first = jobs.first else {
        monitor.wait()
        continue
      }
      let job = first.sequence == wanted ? jobs.removeFirst() : jobs.removeLast()
      monitor.unlock()
      let result = Self.decode(job)
      monitor.lock()
      results.append((job.sequence, result))
    }
  }

  private static func decode(_ job: Job) -> Result<RecordBatchView, BatchDecodeError> {
    do throws(BatchDecodeError) {
      return .success(try job.batch.decompressed(into: job.buffer, maxMessageBytes: job.maxMessageBytes))
    } catch {
      return .failure(error)
    }
  }

  /// Ends the thread (after the batches handed over); returns once it has.
  func stop() {
    guard let thread else { return }
    monitor.lock()
    isStopping = true
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
      while !isStopping && jobs.isEmpty { monitor.wait() }
      guard !jobs.isEmpty else { break }  // stopping, with nothing left to decode
      let job = jobs.removeFirst()
      monitor.unlock()
      let decoded = Self.decode(job)
      monitor.lock()
      results.append((job.sequence, decoded))
      monitor.broadcast()
    }
    monitor.unlock()
  }
}
