/// What the commands need from a log, local or remote: `LocalLogService` (KQStorage) over a
/// data directory, a cluster over Kafka's wire protocol (KQKafka). Nothing in it names a file,
/// a lock, a pid or fsync: following is a `RecordWaiter`, group membership a
/// `GroupMembership`, durability `PartitionWriting.makeDurable()`. What only a data directory
/// can do sits in protocols of its own (`LogVerifying`) that commands ask for by cast.
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
  func openWriter(_ topic: TopicName, partition: Int, config: TopicConfig) throws(StorageError) -> any PartitionWriting
  /// Appends to several partitions (writers this service opened): one result per append, in
  /// order, up to the first failure at least. Locally one after another, stopping at the first
  /// failure; on a cluster all are sent before any answer is awaited, and each says whether it
  /// was acknowledged.
  func append(_ appends: [PartitionAppend]) -> [Result<AppendedRecords, StorageError>]
  /// Where appends may be acknowledged after the call that sends them (a cluster's idempotent
  /// producer): a pipeline of this service's writers; nil where each append waits.
  func appendPipeline() throws(StorageError) -> (any AppendPipeline)?
  func openReader(_ topic: TopicName, partition: Int) throws(StorageError) -> any PartitionReading
  func offset(forTimestamp timestamp: Int64, topic: TopicName, partition: Int) throws(StorageError) -> Int64?
  /// What lets a follower (`consume -f`) wait for records to arrive at any of `readers`, all
  /// opened by this service.
  func waiter(for readers: [any PartitionReading]) throws(StorageError) -> any RecordWaiter

  func groupNames() throws(StorageError) -> [GroupName]
  func topics(ofGroup group: GroupName) throws(StorageError) -> [TopicName]
  func committedOffsets(group: GroupName, topic: TopicName) throws(StorageError) -> [Int: Int64]
  func commit(group: GroupName, topic: TopicName, partition: Int, offset: Int64) throws(StorageError)
  /// `commit` of what `reader` read. The caller confirms just before that the reader's topic is
  /// still the one it opened (`confirmTopicExists`, with its own handling of what that throws);
  /// a service that can keep the topic from being deleted or created meanwhile checks again
  /// there (a data directory: under the topics lock), so that a consumer of a deleted topic
  /// never commits into a new one of its name.
  func commit(group: GroupName, topic: TopicName, partition: Int, offset: Int64, readBy reader: any PartitionReading)
    throws(StorageError)
  /// Joins `group` as a member owning those of `partitions` that no other live member owns
  /// (perhaps none, never waiting for one). The membership lasts until `leave` or its release.
  /// `sessionTimeout` is how long a member that stops sending heartbeats (a process killed)
  /// keeps its partitions where membership is a session (a cluster), nil for the service's
  /// default; a lease (locally) ends with its process, and it means nothing there.
  func join(group: GroupName, partitions: [InputPartition], sessionTimeout: Duration?) throws(StorageError)
    -> any GroupMembership
  /// The live member of `group` that owns `partition`, when there is one.
  func holder(of partition: InputPartition, group: GroupName) -> PartitionHolder?
  /// The group's live members as its coordinator describes them (a cluster); nil where
  /// membership is a lease per partition (locally: `holder(of:group:)` says who).
  func members(of group: GroupName) throws(StorageError) -> GroupMembers?
  func deleteGroup(_ group: GroupName) throws(StorageError)
  /// Whether `openExactlyOnceOutput` may write a compacted topic: false where its crash
  /// recovery counts the records of the output's batches, which compaction removes (locally).
  var exactlyOnceOutputMayBeCompacted: Bool { get }
  /// Output to `topic` that moves together with `group`'s input offsets (`kq pipe`).
  func openExactlyOnceOutput(group: GroupName, topic: TopicName, config: TopicConfig) throws(StorageError)
    -> any ExactlyOnceOutput
}

extension LogService {
  package func members(of group: GroupName) throws(StorageError) -> GroupMembers? { nil }

  /// Where nothing can keep a topic from changing between the caller's check and the commit (a
  /// cluster: the check is a Metadata request), the caller's check is the one made.
  package func commit(
    group: GroupName, topic: TopicName, partition: Int, offset: Int64, readBy reader: any PartitionReading
  ) throws(StorageError) {
    try commit(group: group, topic: topic, partition: partition, offset: offset)
  }

  /// Joins with the service's default session timeout.
  package func join(group: GroupName, partitions: [InputPartition]) throws(StorageError) -> any GroupMembership {
    try join(group: group, partitions: partitions, sessionTimeout: nil)
  }

  package func appendPipeline() throws(StorageError) -> (any AppendPipeline)? { nil }

  /// One append after another, stopping at the first failure.
  package func append(_ appends: [PartitionAppend]) -> [Result<AppendedRecords, StorageError>] {
    var results: [Result<AppendedRecords, StorageError>] = []
    for append in appends {
      do throws(StorageError) {
        results.append(.success(try append.writer.append(append.batches)))
      } catch {
        results.append(.failure(error))
        break
      }
    }
    return results
  }
}
