import Glibc

/// A service's appends made on a helper thread, one flush at a time, while the caller reads
/// and encodes the next (bulk produce into a data directory: the pwrites' copies into the page
/// cache beside the encoding). Unlike an `AppendPipeline` it copies nothing and keeps one flush
/// in flight: the batches' bytes must stay where they are and unchanged until `finish`
/// returns, and the caller uses neither the service nor its writers meanwhile.
///
/// A flush the thread has not taken when `finish` is called (the thread got no CPU: the other
/// core is busy) is appended by the caller instead, so a thread the machine does not run never
/// holds the caller up. The thread waits between flushes; `stop` ends it (its owner calls it:
/// the thread holds this object while it runs).
package final class AppendThread: @unchecked Sendable {
  /// Append threads running in the process: one per producer; a producer past this many
  /// (tests running many at once) appends on its own thread.
  static let threads = ThreadQuota(limit: 8)

  private let service: any LogService
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var thread: pthread_t?
  // Guarded by `mutex`:
  /// The flush begun and not yet taken by the thread.
  private var appends: [PartitionAppend]?
  private var isAppending = false
  private var results: [Result<AppendedRecords, StorageError>]?
  private var isStopping = false

  private init(service: any LogService) {
    self.service = service
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  /// A running thread appending through `service`; nil when the quota is taken or the system
  /// makes no thread (the caller appends itself).
  package static func start(appendingThrough service: any LogService) -> AppendThread? {
    let appender = AppendThread(service: service)
    guard let created = threads.start({ [appender] in appender.run() }) else { return nil }
    appender.thread = created
    return appender
  }

  /// Hands the thread one flush, appended as `LogService.append` appends it. The flush before
  /// must be finished.
  package func begin(_ flush: [PartitionAppend]) {
    pthread_mutex_lock(mutex)
    appends = flush
    results = nil
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
  }

  /// Returns once the flush begun last is appended, appending it here when the thread has not
  /// taken it yet; its results, as `LogService.append` gives them.
  package func finish() -> [Result<AppendedRecords, StorageError>] {
    pthread_mutex_lock(mutex)
    if let untaken = appends {
      appends = nil
      pthread_mutex_unlock(mutex)
      return service.append(untaken)
    }
    while isAppending { pthread_cond_wait(condition, mutex) }
    let finished = results ?? []
    results = nil
    pthread_mutex_unlock(mutex)
    return finished
  }

  /// Waits for the flush in flight, if any, and ends the thread.
  package func stop() {
    guard let thread else { return }
    pthread_mutex_lock(mutex)
    isStopping = true
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
    pthread_join(thread, nil)
    self.thread = nil
  }

  private func run() {
    pthread_mutex_lock(mutex)
    while true {
      while appends == nil && !isStopping { pthread_cond_wait(condition, mutex) }
      guard let flush = appends else { break }
      appends = nil
      isAppending = true
      pthread_mutex_unlock(mutex)
      let appended = service.append(flush)
      pthread_mutex_lock(mutex)
      isAppending = false
      results = appended
      pthread_cond_broadcast(condition)
    }
    pthread_mutex_unlock(mutex)
  }
}
