/// The record timestamps kq stores, in milliseconds since 1970-01-01T00:00:00Z: from 0 up to
/// `Int64.max`, or -1 for a record without one (Kafka's NO_TIMESTAMP). Kafka refuses other
/// negative timestamps, and so does kq where records enter (`--timestamp`, a JSON line's
/// `timestamp`); bytes on disk may still hold anything, so arithmetic on them saturates.
package enum RecordTimestamp {
  /// A record without a timestamp.
  package static let none: Int64 = -1

  package static func isValid(_ millis: Int64) -> Bool { millis >= none }

  /// `later - earlier` in milliseconds, saturating at `Int64.min` and `Int64.max` instead of
  /// trapping, for timestamps read from disk or handed in.
  package static func span(from earlier: Int64, to later: Int64) -> Int64 {
    let (difference, overflow) = later.subtractingReportingOverflow(earlier)
    guard overflow else { return difference }
    return later > earlier ? Int64.max : Int64.min
  }
}
