import Glibc
import Synchronization

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

/// At most `limit` helper threads of one kind at once in the process: a reader past that many
/// does the work on its own thread.
package final class ThreadQuota: Sendable {
  package let limit: Int
  private let running = Atomic<Int>(0)

  package init(limit: Int) { self.limit = limit }

  /// Runs `body` on a new helper thread if fewer than `limit` of this kind run; nil when the
  /// quota is taken or the system would not make a thread.
  package func start(_ body: @escaping () -> Void) -> pthread_t? {
    guard running.add(1, ordering: .relaxed).newValue <= limit else {
      running.subtract(1, ordering: .relaxed)
      return nil
    }
    switch HelperThread.start({ [self] in
      body()
      running.subtract(1, ordering: .relaxed)
    }) {
    case .success(let created): return created
    case .failure:
      running.subtract(1, ordering: .relaxed)
      return nil
    }
  }
}
