/// A one-line progress report on an interactive stderr, redrawn at most every 200 ms and
/// erased at the end. Never used when stderr is a pipe or a file.
final class ProgressLine {
  private let context: Context
  private let startMillis: Int64
  private var lastDrawMillis: Int64
  private var drawn = false

  init(context: Context) {
    self.context = context
    startMillis = context.clock.nowMillis()
    lastDrawMillis = startMillis
  }

  func update(records: Int, bytes: Int64) {
    let now = context.clock.nowMillis()
    guard now - lastDrawMillis >= 200, now - startMillis >= 500 else { return }
    lastDrawMillis = now
    let seconds = Double(now - startMillis) / 1000
    let rate = seconds > 0 ? Int(Double(records) / seconds) : 0
    context.stderr.write("\r\u{1B}[2Kkq: \(records) records, \(rate)/s")
    drawn = true
  }

  /// For work measured in bytes (`kq verify`): what is being done and how much so far.
  func update(label: String, bytes: Int64) {
    let now = context.clock.nowMillis()
    guard now - lastDrawMillis >= 200, now - startMillis >= 500 else { return }
    lastDrawMillis = now
    context.stderr.write("\r\u{1B}[2Kkq: checking \(label), \(ByteSizeParsing.format(bytes))")
    drawn = true
  }

  func finish() {
    if drawn { context.stderr.write("\r\u{1B}[2K") }
    drawn = false
  }
}
