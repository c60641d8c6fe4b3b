import Foundation
import KQStorage
import KQLog

/// A clock the test moves by hand, for roll and retention.
package final class ManualClock: WallClock, @unchecked Sendable {
  private let lock = NSLock()
  private var now: Int64

  package init(_ start: Int64 = 1_700_000_000_000) { now = start }

  package func nowMillis() -> Int64 { lock.withLock { now } }
  package func advance(by millis: Int64) { lock.withLock { now += millis } }
  package func set(_ millis: Int64) { lock.withLock { now = millis } }
}
