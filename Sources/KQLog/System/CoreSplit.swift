import CKQCores

/// Two threads that hand work to each other, kept on different cores while they do: the calling
/// thread on the core it runs on, the second thread on every other core the process may use.
/// Left to the scheduler, a thread woken by the other was often placed on the other's core
/// (and stayed there) while the second core idled: on two cores, consume to a file took 25.6 to
/// 39 ms from run to run (median 38); split, 27.6 to 31.4 (median 29).
package struct CoreSplit {
  /// The calling thread's cores before the split, given back by `end()`.
  private let original: kq_core_set
  private let callerCores: kq_core_set
  private let secondCores: kq_core_set

  /// Splits the cores, restricting the calling thread to the one it runs on; nil (and nothing
  /// changed) when the process may use only one core, or the system does not tell.
  package static func begin() -> CoreSplit? {
    var allowed = kq_core_set()
    guard kq_cores_allowed(&allowed) == 0, kq_cores_count(&allowed) >= 2 else { return nil }
    var core = kq_core_current()
    if kq_cores_contains(&allowed, core) == 0 { core = kq_cores_first(&allowed) }
    var caller = kq_core_set()
    kq_cores_add(&caller, core)
    var second = allowed
    kq_cores_remove(&second, core)
    guard kq_cores_restrict(&caller) == 0 else { return nil }
    return CoreSplit(original: allowed, callerCores: caller, secondCores: second)
  }

  /// Restricts the calling thread, the second one, to the other cores.
  package func enterSecondThread() {
    var cores = secondCores
    _ = kq_cores_restrict(&cores)
  }

  /// Restricts the calling thread to its core again (after `end`).
  package func resume() {
    var cores = callerCores
    _ = kq_cores_restrict(&cores)
  }

  /// How many cores the calling thread may run on (0 when the system does not tell).
  package static var coresAllowed: Int {
    var allowed = kq_core_set()
    return kq_cores_allowed(&allowed) == 0 ? Int(kq_cores_count(&allowed)) : 0
  }

  /// Gives the calling thread back the cores it had.
  package func end() {
    var cores = original
    _ = kq_cores_restrict(&cores)
  }
}
