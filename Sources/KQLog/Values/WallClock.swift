import Glibc

/// Where the storage module gets the time; passed in, so tests control roll and retention.
package protocol WallClock: Sendable {
  /// Milliseconds since the Unix epoch.
  func nowMillis() -> Int64
}

/// The system's real-time clock.
package struct SystemClock: WallClock {
  package init() {}
  package func nowMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
  }
}
