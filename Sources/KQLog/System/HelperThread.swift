import Glibc

/// A thread of kq's own beside the caller's: it starts with every asynchronous signal blocked,
/// so that Ctrl-C, SIGTERM and SIGPIPE reach (and interrupt) the caller's threads, while the
/// faults of its own work (SIGBUS on a mapped page cut off, SIGSEGV, SIGILL, SIGFPE) stay
/// deliverable to it.
package enum HelperThread {
  /// Runs `body` on a new thread, which holds `body` (and what it captures) until it returns.
  /// The thread, to join; or the error number when the system would not make one.
  package static func start(_ body: @escaping () -> Void) -> Result<pthread_t, Errno> {
    var blocked = sigset_t()
    var previous = sigset_t()
    sigfillset(&blocked)
    for fault in [SIGBUS, SIGSEGV, SIGILL, SIGFPE] { sigdelset(&blocked, fault) }
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    let box = Unmanaged.passRetained(Body(body)).toOpaque()
    var created = pthread_t()
    let status = pthread_create(&created, nil, { raw in
      guard let raw else { return nil }
      Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
      return nil
    }, box)
    guard status == 0 else {
      Unmanaged<Body>.fromOpaque(box).release()
      return .failure(Errno(status))
    }
    return .success(created)
  }

  private final class Body {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
  }
}
