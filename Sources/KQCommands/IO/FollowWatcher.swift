import Glibc
import KQLog

/// Waits for followed partitions to change, through the service's `RecordWaiter` (not a sleep
/// loop), while also noticing Ctrl-C, a reader that closed stdout, and an idle timeout.
final class FollowWatcher {
  enum Wake { case changed, signal(Int32), readerGone, timeout }

  private let waiter: any RecordWaiter

  init(waiter: any RecordWaiter) { self.waiter = waiter }

  /// The watcher for `readers` when following, else nil.
  static func following(_ follow: Bool, readers: [any PartitionReading], service: any LogService) throws -> FollowWatcher? {
    follow ? FollowWatcher(waiter: try service.waiter(for: readers)) : nil
  }

  /// `rebalance`: a group membership's descriptor, readable when the group's assignment is
  /// about to change; it wakes the wait as `.changed`.
  /// What the waits rode out, for a warning line (`RecordWaiter.takeNotice`).
  func takeNotice() -> String? { waiter.takeNotice() }

  /// Whether the last wait found the cluster out of reach: commits wait until it answers.
  var isCutOff: Bool { waiter.isCutOff }

  func wait(signals: SignalWatcher?, stdout: CInt?, timeoutMillis: Int64?, rebalance: CInt? = nil) -> Wake {
    var sources: [WakeSource] = []
    let signalIndex = signals.map { _ in sources.count }
    if let signals { sources.append(WakeSource(descriptor: signals.fd, events: Int16(POLLIN))) }
    let stdoutIndex = stdout.map { _ in sources.count }
    // A pipe's write end reports POLLERR once its reader has gone.
    if let stdout { sources.append(WakeSource(descriptor: stdout, events: 0)) }
    if let rebalance { sources.append(WakeSource(descriptor: rebalance, events: Int16(POLLIN))) }
    switch waiter.wait(wakingFor: sources, timeoutMillis: timeoutMillis) {
    case .timedOut: return .timeout
    case .recordsMayHaveArrived: return .changed
    case .source(let index, let events):
      if index == signalIndex, let number = signals?.pending() { return .signal(number) }
      if index == stdoutIndex, events & Int16(POLLERR | POLLHUP) != 0 { return .readerGone }
      return .changed
    }
  }
}
