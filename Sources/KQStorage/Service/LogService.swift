/// What the commands need from a log, local or remote: the seam where a Kafka cluster over
/// the wire protocol plugs in later. `LocalLogService` implements it over a data directory.
package protocol LogService: AnyObject {
  /// Where the log lives, for messages ("/home/me/.local/share/kq" or "broker:9092").
  var location: String { get }
  func topicNames() throws(StorageError) -> [TopicName]
  func config(of topic: TopicName) throws(StorageError) -> TopicConfig
  func createTopic(_ topic: TopicName, config: TopicConfig) throws(StorageError)
  func alterTopic(_ topic: TopicName, settings: [(key: String, value: String)]) throws(StorageError) -> TopicConfig
  func deleteTopic(_ topic: TopicName) throws(StorageError)
  func summary(of topic: TopicName, partition: Int) throws(StorageError) -> PartitionSummary
  /// The codec mix and compression ratio of a partition: a walk over every batch header and a
  /// bounded decode, so only `describe TOPIC` asks for it, not the summaries groups use.
  func compressionSurvey(of topic: TopicName, partition: Int) throws(StorageError) -> CompressionSurvey
  /// Compacts a partition of a compacted topic now (`kq topic compact`).
  func compact(_ topic: TopicName, partition: Int) throws(StorageError) -> CompactionReport
  func openWriter(_ topic: TopicName, partition: Int, config: TopicConfig) throws(StorageError) -> any PartitionWriting
  func openReader(_ topic: TopicName, partition: Int) throws(StorageError) -> any PartitionReading
  func offset(forTimestamp timestamp: Int64, topic: TopicName, partition: Int) throws(StorageError) -> Int64?

  func groupNames() throws(StorageError) -> [GroupName]
  func topics(ofGroup group: GroupName) throws(StorageError) -> [TopicName]
  func committedOffsets(group: GroupName, topic: TopicName) throws(StorageError) -> [Int: Int64]
  func commit(group: GroupName, topic: TopicName, partition: Int, offset: Int64) throws(StorageError)
  /// Takes the group's lease on a partition; nil when another live consumer holds it.
  func lease(group: GroupName, topic: TopicName, partition: Int) throws(StorageError) -> PartitionLease?
  func leaseHolder(group: GroupName, topic: TopicName, partition: Int) -> Int32?
  func deleteGroup(_ group: GroupName) throws(StorageError)
  /// Output to `topic` that moves together with `group`'s input offsets (`kq pipe`).
  func openExactlyOnceOutput(group: GroupName, topic: TopicName, config: TopicConfig) throws(StorageError)
    -> any ExactlyOnceOutput
  /// Checks (and with `repair`, mends) the topics given, or all, and the groups' offsets.
  func verify(topics: [TopicName]?, repair: Bool, progress: (VerifyProgress) -> Void) throws(StorageError) -> VerifyReport
}

/// Appends to one partition.
package protocol PartitionWriting: AnyObject {
  /// Appends batches laid back to back (as `BatchEncoder` makes them); stamps base offsets.
  func append(_ batches: UnsafeMutableRawBufferPointer) throws(StorageError) -> PartitionLog.AppendResult
  /// Makes every append so far durable; throws `topicDeleted` when the topic was deleted since
  /// (the appends went with it).
  func sync() throws(StorageError)
  /// Throws `topicDeleted` when the topic was deleted since the appends, without syncing.
  func confirmAppended() throws(StorageError)
  func close()
}

/// Reads one partition forward.
package protocol PartitionReading: AnyObject {
  /// The offset of the next record `nextBatch` returns.
  var position: Int64 { get }
  func bounds() throws(StorageError) -> (start: Int64, end: Int64)
  func seek(to offset: Int64) throws(StorageError)
  /// The next batch at or after `position`, or nil when caught up with the log end. Records
  /// that retention removed before they were returned are passed over, never silently: see
  /// `takeOffsetsLostToRetention`.
  func nextBatch() throws(StorageError) -> RecordBatchView?
  /// Whether `nextBatch` passed over offsets that retention removed, since the last take.
  var hasLostOffsets: Bool { get }
  /// The offsets `nextBatch` passed over because retention removed them first, oldest first.
  func takeOffsetsLostToRetention() -> [ClosedRange<Int64>]
  /// Whether a range `takeOffsetsLostToRetention` gave was moved aside by `kq verify --repair`
  /// (listed in kq.unreadable) rather than removed by retention.
  func wasMovedAside(_ range: ClosedRange<Int64>) -> Bool
  /// The folder or resource to watch for new records (inotify), when there is one.
  var watchPath: String? { get }
  /// Throws `topicDeleted` when the topic was deleted (or deleted and created again) since this
  /// reader opened it: offsets it read must not be committed to another topic of that name.
  func confirmTopicExists() throws(StorageError)
  /// The error for `reason`, found decoding the records of the batch `nextBatch` returned
  /// last, with the place of that batch (file and byte).
  func damage(_ reason: BatchDecodeError) -> StorageError
}

/// What `describe` shows of a partition.
package struct PartitionSummary: Equatable, Sendable {
  package var partition: Int
  package var logStartOffset: Int64
  package var endOffset: Int64
  package var bytes: Int64
  package var segments: Int
  package var firstTimestamp: Int64?
  package var lastTimestamp: Int64?
  package var records: Int64 { endOffset - logStartOffset }
}

extension PartitionLog: PartitionWriting {}

extension PartitionReader: PartitionReading {
  package var watchPath: String? { folder }
  package func confirmTopicExists() throws(StorageError) { try checkFolder() }
}
