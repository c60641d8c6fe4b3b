import Glibc
import Synchronization
import KQLog

/// The process-wide SIGBUS guard for `MappedRegion`s. A bus error at an address past the end
/// of a mapped file (`BUS_ADRERR`, also what a failed page-in raises) gets a private page of
/// zeros mapped over it, and `generation` counts it; any other bus error, or one while no
/// region is mapped, gets the default action (the process dies as it would have).
package enum MappingFaults {
  /// Bus errors turned into zero pages so far. A reader that sees it change since it last
  /// looked must not trust what it read from a mapping in between.
  package static let generation = Atomic<Int>(0)
  static let liveRegions = Atomic<Int>(0)
  nonisolated(unsafe) static var pageSize = 4096

  package static var current: Int { generation.load(ordering: .acquiring) }

  /// Installs the handler, once per process (Swift runs a static's initializer once).
  static let installed: Bool = {
    pageSize = sysconf(Int32(_SC_PAGESIZE))
    var action = sigaction()
    action.__sigaction_handler.sa_sigaction = onBusError
    action.sa_flags = SA_SIGINFO
    sigemptyset(&action.sa_mask)
    return sigaction(SIGBUS, &action, nil) == 0
  }()
}

/// Runs in the signal handler: only async-signal-safe work (an atomic, `mmap`, `signal`).
private func onBusError(_ signal: CInt, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
  guard let info, info.pointee.si_code == BUS_ADRERR, MappingFaults.liveRegions.load(ordering: .relaxed) > 0,
    let address = info.pointee._sifields._sigfault.si_addr
  else {
    Glibc.signal(SIGBUS, SIG_DFL)  // returning re-runs the access, which now gets the default action
    return
  }
  let page = UInt(bitPattern: address) & ~UInt(MappingFaults.pageSize - 1)
  let zeros = mmap(
    UnsafeMutableRawPointer(bitPattern: page), MappingFaults.pageSize, PROT_READ,
    MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0)
  if zeros == MAP_FAILED {
    Glibc.signal(SIGBUS, SIG_DFL)
    return
  }
  MappingFaults.generation.add(1, ordering: .releasing)
}
