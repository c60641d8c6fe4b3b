import Glibc

/// A mutex and the condition its waiters wait on: the hand-overs between kq's threads and their
/// helper threads (`lock`, change or look, `broadcast` or `wait`, `unlock`).
package final class Monitor: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  package init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  package func lock() { pthread_mutex_lock(mutex) }
  package func unlock() { pthread_mutex_unlock(mutex) }
  /// With the mutex held: releases it until a `broadcast` (or a spurious wake-up), then holds it again.
  package func wait() { pthread_cond_wait(condition, mutex) }
  package func broadcast() { pthread_cond_broadcast(condition) }
  /// Makes `change` under the mutex and wakes every waiter.
  package func broadcasting(_ change: () -> Void) {
    lock()
    change()
    broadcast()
    unlock()
  }
  /// `wait`, but false once the wall clock passes `deadline` (CLOCK_REALTIME).
  package func wait(until deadline: inout timespec) -> Bool {
    pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
  }
}
