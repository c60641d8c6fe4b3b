/// What only a log kq keeps itself can do on demand: compact a `cleanup.policy=compact`
/// partition now (`kq topic compact`). A cluster's brokers run their own cleaner, so a cluster
/// service does not offer it; `TopicCompactCommand` asks for it by cast.
package protocol LogCompacting: LogService {
  /// Compacts a partition of a compacted topic now, whatever its dirty ratio.
  func compact(_ topic: TopicName, partition: Int) throws(StorageError) -> CompactionReport
}

/// What one compaction of a partition did: its segments and bytes before and after (the
/// active segment included), and the records of the sealed segments it read and kept.
package struct CompactionReport: Equatable, Sendable {
  package var segmentsBefore = 0
  package var bytesBefore: Int64 = 0
  package var segmentsAfter = 0
  package var bytesAfter: Int64 = 0
  /// The cleaned end afterwards: offsets below it lie in cleaned segments.
  package var cleanedEnd: Int64 = 0
  /// Whether cleaned segments replaced old ones (false: nothing was cleanable, or nothing due).
  package var didClean = false

  package init() {}
}
