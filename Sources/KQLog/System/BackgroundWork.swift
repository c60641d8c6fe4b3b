import Glibc

/// One piece of work run on a thread of its own while the caller goes on; `wait()` returns
/// once it is done. The caller must not touch what the work uses until then: that is the
/// whole synchronization (pthread_join orders the work's writes before the caller's reads).
package final class BackgroundWork {
  /// Dropped once run, so that what it holds (perhaps the owner of this) is released.
  private var work: (() -> Void)?
  private var thread: pthread_t?

  private init(_ work: @escaping () -> Void) { self.work = work }

  /// Starts `work` on a new thread; nil when no thread can be made (the caller runs it itself).
  package static func start(_ work: @escaping () -> Void) -> BackgroundWork? {
    let background = BackgroundWork(work)
    // SIGINT and SIGTERM stay with the main thread.
    var blocked = sigset_t()
    var previous = sigset_t()
    sigemptyset(&blocked)
    sigaddset(&blocked, SIGINT)
    sigaddset(&blocked, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var created = pthread_t()
    let context = Unmanaged.passRetained(background).toOpaque()
    let result = pthread_create(&created, nil, { raw in
      guard let raw else { return nil }
      let background = Unmanaged<BackgroundWork>.fromOpaque(raw).takeRetainedValue()
      background.work?()
      background.work = nil
      return nil
    }, context)
    guard result == 0 else {
      Unmanaged<BackgroundWork>.fromOpaque(context).release()
      return nil
    }
    background.thread = created
    return background
  }

  package func wait() {
    if let thread {
      pthread_join(thread, nil)
      self.thread = nil
    }
  }

  deinit { wait() }
}
