extension Duration {
  /// Whole milliseconds, clamped to 0...Int32.max: a timeout field on the wire. Durations come
  /// from callers (flags), so nothing here may trap.
  package var wireMilliseconds: Int32 { Int32(clamping: milliseconds) }

  /// Whole milliseconds, saturating at Int64's ends; negative durations give 0.
  package var milliseconds: Int64 {
    let (seconds, attoseconds) = components
    guard seconds >= 0, attoseconds >= 0 else { return 0 }
    let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
    let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
    return overflow || overflow2 ? Int64.max : total
  }
}
