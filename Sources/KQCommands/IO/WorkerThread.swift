import Glibc

/// A thread of its own that runs one job at a time while the caller goes on: `start` hands it
/// a job, `wait` returns once that job is done. Unlike `BackgroundWork`, the thread lives on
/// between jobs, so a loop that hands over a job per MiB pays no thread creation per job.
/// The caller must not touch what a job uses until `wait` returns: that is the whole
/// synchronization (the mutex orders the job's writes before the caller's reads).
final class WorkerThread: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var thread: pthread_t?
  // Guarded by `mutex`:
  private var job: (() -> Void)?
  private var isBusy = false
  private var isStopping = false

  private init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  /// A running worker; nil when no thread can be made (the caller does the work itself).
  static func make() -> WorkerThread? {
    let worker = WorkerThread()
    // SIGINT and SIGTERM stay with the main thread.
    var blocked = sigset_t()
    var previous = sigset_t()
    sigemptyset(&blocked)
    sigaddset(&blocked, SIGINT)
    sigaddset(&blocked, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var created = pthread_t()
    let context = Unmanaged.passRetained(worker).toOpaque()
    let result = pthread_create(&created, nil, { raw in
      guard let raw else { return nil }
      Unmanaged<WorkerThread>.fromOpaque(raw).takeRetainedValue().serve()
      return nil
    }, context)
    guard result == 0 else {
      Unmanaged<WorkerThread>.fromOpaque(context).release()
      return nil
    }
    worker.thread = created
    return worker
  }

  /// Hands `job` to the thread; the previous job must be done (`wait`).
  func start(_ job: @escaping () -> Void) {
    pthread_mutex_lock(mutex)
    self.job = job
    isBusy = true
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
  }

  /// Returns once the job last started is done (at once when none is running).
  func wait() {
    pthread_mutex_lock(mutex)
    while isBusy { pthread_cond_wait(condition, mutex) }
    pthread_mutex_unlock(mutex)
  }

  /// Waits for the job running, if any, and ends the thread.
  func stop() {
    guard let thread else { return }
    pthread_mutex_lock(mutex)
    while isBusy { pthread_cond_wait(condition, mutex) }
    isStopping = true
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
    pthread_join(thread, nil)
    self.thread = nil
  }

  private func serve() {
    pthread_mutex_lock(mutex)
    while true {
      while job == nil && !isStopping { pthread_cond_wait(condition, mutex) }
      guard let next = job else { break }
      job = nil
      pthread_mutex_unlock(mutex)
      next()
      pthread_mutex_lock(mutex)
      isBusy = false
      pthread_cond_broadcast(condition)
    }
    pthread_mutex_unlock(mutex)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }
}
