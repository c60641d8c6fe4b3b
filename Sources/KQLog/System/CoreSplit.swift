import CKQCores

/// Two threads that hand work to each other, kept on different cores while they do: the calling
/// thread on the core it runs on, the second thread on every other core the process may use.
/// Left to the scheduler, a thread woken by the other was often placed on the other's core
/// (and stayed there) while the second core idled: on two cores, consume to a file took 25.6 to
/// 39 ms from run to run (median 38); split, 27.6 to 31.4 (median 29).
package struct CoreSplit {
  /// The calling thread's cores, given back by `releaseCaller`.
  private let allowed: kq_core_set
  private let callerCores: kq_core_set
  private let secondCores: kq_core_set

  /// The split of the calling thread's cores (nothing restricted yet); nil when it may use only
  /// one core, or the system does not tell.
  package init?() {
    var allowed = kq_core_set()
    guard kq_cores_allowed(&allowed) == 0, kq_cores_count(&allowed) >= 2 else { return nil }
    var core = kq_core_current()
    if kq_cores_contains(&allowed, core) == 0 { core = kq_cores_first(&allowed) }
    var caller = kq_core_set()
    kq_cores_add(&caller, core)
    var second = allowed
    kq_cores_remove(&second, core)
    self.allowed = allowed
    self.callerCores = caller
    self.secondCores = second
  }

  /// How many cores the calling thread may run on (0 when the system does not tell).
  package static var coresAllowed: Int {
    var allowed = kq_core_set()
    return kq_cores_allowed(&allowed) == 0 ? Int(kq_cores_count(&allowed)) : 0
  }

  /// Restricts the calling thread to its core; false when the system refused.
  package func confineCaller() -> Bool {
    var cores = callerCores
    return kq_cores_restrict(&cores) == 0
  }

  /// Restricts the calling thread, the second one, to the other cores.
  package func enterSecondThread() {
    var cores = secondCores
    _ = kq_cores_restrict(&cores)
  }

  /// Gives the calling thread back the cores it had.
  package func releaseCaller() {
    var cores = allowed
    _ = kq_cores_restrict(&cores)
  }
}
