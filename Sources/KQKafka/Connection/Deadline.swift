import Glibc

/// A moment on the monotonic clock by which something must be done: every connect, send and
/// receive waits in `poll` for at most the time left, so no broker can hang kq past it.
package struct Deadline: Comparable, Sendable {
  /// Nanoseconds on CLOCK_MONOTONIC.
  package var uptimeNanos: UInt64

  package static func now() -> Deadline {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Deadline(uptimeNanos: UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec))
  }

  /// `duration` from now; a negative duration is now, a huge one saturates.
  package static func after(_ duration: Duration) -> Deadline { Deadline.now().advanced(by: duration) }

  /// This moment moved by `duration` (saturating; a negative duration moves nothing).
  package func advanced(by duration: Duration) -> Deadline {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0, attoseconds >= 0 else { return self }
    let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
    let (nanos, overflow2) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
    let (sum, overflow3) = uptimeNanos.addingReportingOverflow(nanos)
    return Deadline(uptimeNanos: overflow || overflow2 || overflow3 ? .max : sum)
  }

  package static func < (a: Deadline, b: Deadline) -> Bool { a.uptimeNanos < b.uptimeNanos }

  package var hasPassed: Bool { Deadline.now() >= self }

  /// The time left, zero once passed.
  package var remaining: Duration {
    let now = Deadline.now().uptimeNanos
    guard uptimeNanos > now else { return .zero }
    let left = uptimeNanos - now
    return .seconds(Int64(left / 1_000_000_000)) + .nanoseconds(Int64(left % 1_000_000_000))
  }

  /// The time left as a `poll` timeout: whole milliseconds rounded up, at most Int32.max.
  package var pollTimeoutMillis: CInt {
    let now = Deadline.now().uptimeNanos
    guard uptimeNanos > now else { return 0 }
    let left = uptimeNanos - now
    return CInt(clamping: left / 1_000_000 + (left % 1_000_000 == 0 ? 0 : 1))
  }

  /// The earlier of the two.
  package func capped(at other: Deadline) -> Deadline { min(self, other) }
}
