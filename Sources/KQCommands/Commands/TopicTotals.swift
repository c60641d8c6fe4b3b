import KQLog

/// A topic in brief, summed over its partitions: what `topic list --json` and `describe`
/// without a topic show.
struct TopicTotals {
  let name: TopicName
  let partitions: Int
  private(set) var records: Int64 = 0
  private(set) var bytes: Int64 = 0
  /// Whether `bytes` is known (a cluster does not say).
  private(set) var hasSizes = true

  init(_ name: TopicName, service: any LogService) throws {
    self.name = name
    partitions = try service.config(of: name).partitions
    for partition in 0..<partitions {
      let summary = try service.summary(of: name, partition: partition)
      records += summary.records
      bytes += summary.bytes
      hasSizes = hasSizes && summary.hasSizes
    }
  }

  var bytesText: String { hasSizes ? ByteSizeParsing.format(bytes) : "-" }

  var json: String {
    JSONText.object([
      ("name", JSONText.string(name.value)), ("partitions", String(partitions)), ("records", String(records)),
      ("bytes", hasSizes ? String(bytes) : "null"),
    ])
  }
}
