/// A topic's configuration, with Kafka's keys and kq's defaults; stored as `key=value` lines
/// in `topics/TOPIC/config` (FORMAT.md, "Topic configuration").
package struct TopicConfig: Equatable, Sendable {
  package enum TimestampType: String, Sendable { case createTime = "CreateTime", logAppendTime = "LogAppendTime" }
  /// Kafka's `cleanup.policy`: `delete` (retention), `compact` (keep each key's last record),
  /// or both (`compact,delete`, also read as `delete,compact`).
  package enum CleanupPolicy: String, Sendable {
    case delete, compact
    case compactAndDelete = "compact,delete"
    package var compacts: Bool { self != .delete }
    package var deletes: Bool { self != .compact }
  }

  package static let dayMillis: Int64 = 86_400_000
  package static let maxPartitions = 10_000
  package static let minSegmentBytes: Int64 = 1024

  package var partitions = 1
  /// -1 keeps records forever.
  package var retentionMillis: Int64 = 7 * dayMillis
  /// Per partition; -1 = no limit.
  package var retentionBytes: Int64 = -1
  package var segmentBytes: Int64 = 128 * 1024 * 1024
  package var segmentMillis: Int64 = 7 * dayMillis
  /// The largest batch accepted, counted whole (Kafka's rule).
  package var maxMessageBytes: Int64 = 1024 * 1024
  package var timestampType: TimestampType = .createTime
  package var cleanupPolicy: CleanupPolicy = .delete
  package var compressionType: CompressionType = .producer
  /// Compaction (FORMAT.md, "Compaction"): runs when dirty bytes / cleanable bytes reach this.
  package var minCleanableDirtyRatio = 0.5
  /// A record this young (by its segment's largest timestamp) is not compacted yet.
  package var minCompactionLagMillis: Int64 = 0
  /// A dirty segment this old is compacted whatever the dirty ratio.
  package var maxCompactionLagMillis: Int64 = Int64.max
  /// How long a tombstone survives after its batch was first cleaned.
  package var deleteRetentionMillis: Int64 = dayMillis

  package init() {}

  /// The keys `set(_:to:)` accepts, in display order.
  package static let keys = [
    "partitions", "retention.ms", "retention.bytes", "segment.bytes", "segment.ms", "max.message.bytes",
    "message.timestamp.type", "cleanup.policy", "compression.type", "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms", "max.compaction.lag.ms", "delete.retention.ms",
  ]

  /// Keys a config file written before they existed may lack: they read as their defaults.
  static let keysAddedLater: Set<String> = [
    "compression.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "max.compaction.lag.ms",
    "delete.retention.ms",
  ]

  /// Keys a user may change with `alter` (the partition count only grows through its own path).
  package static let alterableKeys = Array(keys.dropFirst())

  /// Sets one key from its stored or user-given text. Numbers here are plain integers; the
  /// command line turns `7d` or `1GiB` into them first.
  package mutating func set(_ key: String, to text: String) throws(StorageError) {
    func number(min: Int64, allowMinusOne: Bool = false) throws(StorageError) -> Int64 {
      guard let n = Int64(text) else {
        throw .invalidConfig(key: key, value: text, reason: "not a whole number")
      }
      if allowMinusOne && n == -1 { return n }
      guard n >= min else {
        throw .invalidConfig(key: key, value: text, reason: "the smallest value is \(min)" + (allowMinusOne ? " (or -1)" : ""))
      }
      return n
    }
    switch key {
    case "partitions":
      let n = try number(min: 1)
      guard n <= Int64(Self.maxPartitions) else {
        throw .invalidConfig(key: key, value: text, reason: "the largest value is \(Self.maxPartitions)")
      }
      partitions = Int(n)
    case "retention.ms": retentionMillis = try number(min: 1, allowMinusOne: true)
    case "retention.bytes": retentionBytes = try number(min: 1, allowMinusOne: true)
    case "segment.bytes":
      segmentBytes = try number(min: Self.minSegmentBytes)
      guard segmentBytes <= Int64(Int32.max) else {
        throw .invalidConfig(key: key, value: text, reason: "the largest value is \(Int32.max)")
      }
    case "segment.ms": segmentMillis = try number(min: 1)
    case "max.message.bytes":
      maxMessageBytes = try number(min: Int64(BatchLayout.headerSize + 7))
      guard maxMessageBytes <= Int64(Int32.max) else {
        throw .invalidConfig(key: key, value: text, reason: "the largest value is \(Int32.max)")
      }
    case "message.timestamp.type":
      guard let type = TimestampType(rawValue: text) else {
        throw .invalidConfig(key: key, value: text, reason: "use CreateTime or LogAppendTime")
      }
      timestampType = type
    case "cleanup.policy":
      let policy: CleanupPolicy? = text == "delete,compact" ? .compactAndDelete : CleanupPolicy(rawValue: text)
      guard let policy else {
        throw .invalidConfig(key: key, value: text, reason: "use delete, compact or compact,delete")
      }
      cleanupPolicy = policy
    case "min.cleanable.dirty.ratio":
      guard let ratio = Double(text), ratio >= 0, ratio <= 1 else {
        throw .invalidConfig(key: key, value: text, reason: "use a number from 0 to 1")
      }
      minCleanableDirtyRatio = ratio
    case "min.compaction.lag.ms": minCompactionLagMillis = try number(min: 0)
    case "max.compaction.lag.ms": maxCompactionLagMillis = try number(min: 1)
    case "delete.retention.ms": deleteRetentionMillis = try number(min: 0)
    case "compression.type":
      guard let type = CompressionType(rawValue: text) else {
        throw .invalidConfig(
          key: key, value: text, reason: "use " + CompressionType.allCases.map(\.rawValue).joined(separator: ", "))
      }
      compressionType = type
    default:
      throw .unknownConfig(key: key)
    }
  }

  package func value(of key: String) -> String? {
    switch key {
    case "partitions": String(partitions)
    case "retention.ms": String(retentionMillis)
    case "retention.bytes": String(retentionBytes)
    case "segment.bytes": String(segmentBytes)
    case "segment.ms": String(segmentMillis)
    case "max.message.bytes": String(maxMessageBytes)
    case "message.timestamp.type": timestampType.rawValue
    case "cleanup.policy": cleanupPolicy.rawValue
    case "compression.type": compressionType.rawValue
    case "min.cleanable.dirty.ratio": String(minCleanableDirtyRatio)
    case "min.compaction.lag.ms": String(minCompactionLagMillis)
    case "max.compaction.lag.ms": String(maxCompactionLagMillis)
    case "delete.retention.ms": String(deleteRetentionMillis)
    default: nil
    }
  }

  /// The stored form: one `key=value` line per key.
  package var serialized: [UInt8] {
    var text = ""
    for key in Self.keys { text += key + "=" + (value(of: key) ?? "") + "\n" }
    return Array(text.utf8)
  }

  /// Parses the stored form; `file` names it in errors. Every key must be there exactly once
  /// (kq writes them all): a file cut short or emptied must not read as the defaults, which
  /// would hide partitions.
  package init(parsing bytes: [UInt8], file: String) throws(StorageError) {
    self.init()
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw .corruptFile(file: file, reason: "not UTF-8 text")
    }
    var seen: Set<String> = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      guard let equals = line.firstIndex(of: "=") else {
        throw .corruptFile(file: file, reason: "line '\(line)' has no '='")
      }
      let key = String(line[..<equals])
      let value = String(line[line.index(after: equals)...])
      do { try set(key, to: value) } catch { throw .corruptFile(file: file, reason: "\(key)=\(value) is not valid") }
      guard seen.insert(key).inserted else { throw .corruptFile(file: file, reason: "\(key) appears twice") }
    }
    if let missing = Self.keys.first(where: { !seen.contains($0) && !Self.keysAddedLater.contains($0) }) {
      throw .corruptFile(file: file, reason: text.isEmpty ? "the file is empty" : "it has no \(missing)= line")
    }
  }

  /// Kafka's check across two keys: `min.compaction.lag.ms` may not exceed `max.compaction.lag.ms`.
  package func checkCompactionLags() throws(StorageError) {
    guard minCompactionLagMillis <= maxCompactionLagMillis else {
      throw .invalidConfig(
        key: "max.compaction.lag.ms", value: String(maxCompactionLagMillis),
        reason: "it is below min.compaction.lag.ms (\(minCompactionLagMillis))")
    }
  }

  /// The batch size limit for appends: Kafka refuses batches over max.message.bytes, and a
  /// batch is never larger than a segment.
  package var maxBatchBytes: Int { Int(min(maxMessageBytes, segmentBytes)) }
}
