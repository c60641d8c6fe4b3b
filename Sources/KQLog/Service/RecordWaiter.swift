/// Waits, for a follower (`consume -f`, `pipe -f`), until records may have arrived at the
/// readers it was made for: locally a change to their partitions' folders (inotify); on a
/// cluster a long-poll Fetch. It can wake early for descriptors of the caller's own (a signal
/// pipe, standard output), so that one wait notices Ctrl-C and a reader gone as well.
package protocol RecordWaiter: AnyObject {
  /// Blocks until one of `sources` is ready (the first ready one, by index), records may have
  /// arrived, or `timeoutMillis` passed (nil: no time limit). A wake for records may be
  /// spurious: the caller reads again and waits again when nothing came.
  func wait(wakingFor sources: [WakeSource], timeoutMillis: Int64?) -> WaitOutcome
  /// One line for the user about what the waits meet and ride out (a cluster unreachable
  /// while following), once per occurrence; nil when there is nothing new to say. A wait
  /// returns when there is one, as it may spuriously.
  func takeNotice() -> String?
  /// Whether the last wait found the log's service out of reach (a cluster's outage).
  var isCutOff: Bool { get }
}

extension RecordWaiter {
  package func takeNotice() -> String? { nil }
  package var isCutOff: Bool { false }
}

/// A descriptor a `RecordWaiter` also wakes for, with the `poll` events that count (0 still
/// wakes for an error or hang-up, as a pipe whose reader has gone reports).
package struct WakeSource: Equatable, Sendable {
  package var descriptor: Int32
  package var events: Int16

  package init(descriptor: Int32, events: Int16) {
    self.descriptor = descriptor
    self.events = events
  }
}

package enum WaitOutcome: Equatable, Sendable {
  /// Records may have arrived: read again.
  case recordsMayHaveArrived
  /// `sources[index]` is ready, with these `poll` events.
  case source(index: Int, events: Int16)
  case timedOut
}
