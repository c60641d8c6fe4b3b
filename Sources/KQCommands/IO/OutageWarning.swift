/// The one warning a follower gives while a cluster cannot be reached, whichever finds it
/// first: its waits (`RecordWaiter.takeNotice`), a commit or a rejoin. Given again only after
/// the cluster answered a wait (`clear`).
final class OutageWarning {
  private var isGiven = false

  func warn(_ text: String, to sink: any ByteSink) {
    guard !isGiven else { return }
    isGiven = true
    sink.write("kq: warning: \(text)\n")
  }

  func clear() { isGiven = false }

  /// The warning's words for a failure found by a commit or a join.
  static func text(for reason: String) -> String { "cannot reach the cluster (\(reason)); waiting for it to come back" }
}
