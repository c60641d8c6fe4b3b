import KQLog

/// `LogService` over a Kafka cluster (`--brokers`): topics through the controller, appends to
/// partition leaders with acks=all, reads by Fetch (a long poll to follow), offsets through
/// ListOffsets and the group coordinator. Every operation ends within the client's timeout.
package final class KafkaLogService: LogService {
  let cluster: KafkaCluster
  package let location: String
  /// This process's live memberships, by group: commits go through them.
  var members: [String: WeakMembership] = [:]
  /// The producer id appends are stamped with (`stampIdempotent`).
  var idempotence = Idempotence.unknown
  /// Topics appended to since their writers last confirmed them (`confirmAppended(to:id:)`).
  var unconfirmedTopics: Set<String> = []

  package init(brokers: String, timeoutMillis: Int64) throws(StorageError) {
    var options = KafkaClientOptions()
    options.timeout = .milliseconds(timeoutMillis)
    options.requestTimeout = min(options.requestTimeout, options.timeout)
    do { cluster = try KafkaCluster(bootstrap: brokers, options: options) } catch { throw error.storageError }
    location = brokers
  }

  deinit { cluster.close() }

  /// Runs a client call, its failure turned into the `StorageError` the commands know.
  func calling<T>(_ body: () throws(KafkaError) -> T) throws(StorageError) -> T {
    do { return try body() } catch { throw error.storageError }
  }

  package func topicNames() throws(StorageError) -> [TopicName] {
    try calling { () throws(KafkaError) in try cluster.topicNames() }.compactMap { try? TopicName($0) }
  }

  package func config(of topic: TopicName) throws(StorageError) -> TopicConfig {
    let metadata = try calling { () throws(KafkaError) in try cluster.describeTopic(topic.value) }
    var config = TopicConfig()
    config.partitions = metadata.partitionCount
    // A broker without DescribeConfigs still has partitions: the rest keeps kq's defaults.
    let entries = (try? calling { () throws(KafkaError) in try cluster.topicConfig(topic.value) }) ?? []
    for entry in entries where entry.name != "partitions" && TopicConfig.keys.contains(entry.name) {
      guard let value = entry.value else { continue }
      try? config.set(entry.name, to: value)  // a value kq cannot hold (compact) keeps its default
    }
    return config
  }

  package func createTopic(_ topic: TopicName, config: TopicConfig) throws(StorageError) {
    let defaults = TopicConfig()
    let configs = TopicConfig.alterableKeys.compactMap { key -> (name: String, value: String)? in
      guard let value = config.value(of: key), value != defaults.value(of: key) else { return nil }
      return (key, value)
    }
    guard let partitions = Int32(exactly: config.partitions) else {
      throw .invalidConfig(key: "partitions", value: String(config.partitions), reason: "too many")
    }
    try calling { () throws(KafkaError) in
      try cluster.createTopic(topic.value, partitions: partitions, replicationFactor: -1, configs: configs)
    }
  }

  /// Partitions grow with CreatePartitions; other keys change with IncrementalAlterConfigs.
  package func alterTopic(_ topic: TopicName, settings: [(key: String, value: String)]) throws(StorageError) -> TopicConfig {
    let current = try config(of: topic)
    var changes: [(name: String, value: String)] = []
    for (key, value) in settings {
      guard key == "partitions" else {
        changes.append((key, value))
        continue
      }
      guard let count = Int32(value), count > 0 else {
        throw .invalidConfig(key: key, value: value, reason: "not a partition count")
      }
      guard Int(count) >= current.partitions else {
        throw .invalidConfig(key: key, value: value, reason: "partitions can only be added (it has \(current.partitions))")
      }
      if Int(count) > current.partitions {
        try calling { () throws(KafkaError) in try cluster.createPartitions(topic.value, totalCount: count) }
      }
    }
    if !changes.isEmpty {
      try calling { () throws(KafkaError) in try cluster.alterTopicConfig(topic.value, set: changes) }
    }
    return try config(of: topic)
  }

  package func deleteTopic(_ topic: TopicName) throws(StorageError) {
    try calling { () throws(KafkaError) in try cluster.deleteTopic(topic.value) }
  }

  /// Offsets from a fetch at the log start (its high watermark is the end: Tansu's "latest"
  /// ListOffsets answers the last batch's base + 1), placement from metadata. A cluster does
  /// not say bytes, segments or timestamps here.
  package func summary(of topic: TopicName, partition: Int) throws(StorageError) -> PartitionSummary {
    let metadata = try calling { () throws(KafkaError) in try cluster.describeTopic(topic.value) }
    guard let index = Int32(exactly: partition), let entry = metadata.partition(index) else {
      throw .partitionNotFound(topic: topic.value, partition: partition, partitionCount: metadata.partitionCount)
    }
    let (start, end) = try bounds(topic.value, partition: index)
    var summary = PartitionSummary(
      partition: partition, logStartOffset: start, endOffset: end, bytes: 0, segments: 0, firstTimestamp: nil,
      lastTimestamp: nil)
    summary.hasSizes = false
    summary.placement = PartitionPlacement(
      leader: entry.leaderId, replicas: entry.replicas, inSyncReplicas: entry.inSyncReplicas)
    return summary
  }

  /// The log start and end of a partition: the high watermark, or reading committed records
  /// the last stable offset (where a reader stops while a transaction is open).
  func bounds(_ topic: String, partition: Int32, isolation: FetchIsolation = .readUncommitted) throws(StorageError)
    -> (start: Int64, end: Int64)
  {
    let start = try calling { () throws(KafkaError) in try cluster.offset(of: topic, partition: partition, at: .earliest) }
    let from = start?.offset ?? 0
    let fetched = try calling { () throws(KafkaError) in
      try cluster.fetch(topic, partition: partition, from: from, maxBytes: 1, isolation: isolation)
    }
    let logStart = fetched.logStartOffset >= 0 ? fetched.logStartOffset : from
    return (logStart, max(fetched.readableEnd(isolation), logStart))
  }

  /// Not measured on a cluster: describe shows no codec mix.
  package func compressionSurvey(of topic: TopicName, partition: Int) throws(StorageError) -> CompressionSurvey {
    CompressionSurvey()
  }

  package func openWriter(_ topic: TopicName, partition: Int, config: TopicConfig) throws(StorageError) -> any PartitionWriting {
    guard let index = Int32(exactly: partition), partition < config.partitions else {
      throw .partitionNotFound(topic: topic.value, partition: partition, partitionCount: config.partitions)
    }
    return KafkaPartitionWriter(service: self, topic: topic, partition: index, topicId: topicId(of: topic))
  }

  /// Every append sent before any answer is awaited (`KafkaCluster.produce(runs:)`).
  package func append(_ appends: [PartitionAppend]) -> [Result<AppendedRecords, StorageError>] {
    var runs: [KafkaCluster.ProduceRun] = []
    var counts: [Int] = []
    var writers: [KafkaPartitionWriter] = []
    for append in appends {
      guard let writer = append.writer as? KafkaPartitionWriter else { return appendOneByOne(appends) }
      try? stampIdempotent(append.batches, topic: writer.topic.value, partition: writer.partition)
      let bytes = UnsafeRawBufferPointer(append.batches)
      runs.append(KafkaCluster.ProduceRun(topic: writer.topic.value, partition: writer.partition, batches: bytes))
      unconfirmedTopics.insert(writer.topic.value)
      counts.append(KafkaPartitionWriter.recordCount(bytes))
      writers.append(writer)
    }
    return zip(zip(cluster.produce(runs: runs), counts), writers).map { answer, writer in
      let (result, count) = answer
      return result.map { AppendedRecords(firstOffset: $0.baseOffset, recordCount: count) }
        .mapError { failure($0.storageError, appendingTo: writer.topic, id: writer.topicId) }
    }
  }

  /// Up to five requests in flight per partition where the cluster gives producer ids (the
  /// broker tells a resent batch by its sequence); nil where it does not.
  package func appendPipeline() throws(StorageError) -> (any AppendPipeline)? {
    guard try idempotentProducer() != nil else { return nil }
    return KafkaAppendPipeline(service: self)
  }

  private func appendOneByOne(_ appends: [PartitionAppend]) -> [Result<AppendedRecords, StorageError>] {
    appends.map { append in Result { () throws(StorageError) in try append.writer.append(append.batches) } }
  }

  package func openReader(_ topic: TopicName, partition: Int) throws(StorageError) -> any PartitionReading {
    let config = try config(of: topic)
    guard let index = Int32(exactly: partition), partition >= 0, partition < config.partitions else {
      throw .partitionNotFound(topic: topic.value, partition: partition, partitionCount: config.partitions)
    }
    return KafkaPartitionReader(
      service: self, topic: topic, partition: index, maxMessageBytes: Int(config.maxMessageBytes), topicId: topicId(of: topic))
  }

  /// The first offset whose record's timestamp is at or after `timestamp`: ListOffsets says
  /// where to start, then the records from there are read until one is that late (a Kafka
  /// broker's answer is that record; Tansu 0.6.0 looks at append times, which are later, so
  /// its answer is at or before it).
  package func offset(forTimestamp timestamp: Int64, topic: TopicName, partition: Int) throws(StorageError) -> Int64? {
    let reader = try openReader(topic, partition: partition)
    guard let kafkaReader = reader as? KafkaPartitionReader else { return nil }
    let hint = try calling { () throws(KafkaError) in
      try cluster.offset(of: topic.value, partition: kafkaReader.partition, at: .timestamp(max(0, timestamp)))
    }
    guard let hint else { return nil }
    try reader.seek(to: hint.offset)
    while let batch = try reader.nextBatch() {
      guard batch.maxTimestamp >= timestamp || batch.isLogAppendTime else { continue }
      var found: Int64?
      do {
        try batch.forEachRecord { record in
          guard record.offset >= hint.offset, record.timestamp >= timestamp else { return true }
          found = record.offset
          return false
        }
      } catch let error as BatchDecodeError {
        throw reader.damage(error)
      } catch {
        throw reader.damage(.malformedRecord(index: 0))
      }
      if let found { return found }
    }
    return nil
  }

  package func waiter(for readers: [any PartitionReading]) throws(StorageError) -> any RecordWaiter {
    KafkaRecordWaiter(cluster: cluster, readers: readers.compactMap { $0 as? KafkaPartitionReader })
  }

  /// Transactions count nothing in OUT.
  package var exactlyOnceOutputMayBeCompacted: Bool { true }

  package func openExactlyOnceOutput(group: GroupName, topic: TopicName, config: TopicConfig) throws(StorageError)
    -> any ExactlyOnceOutput
  {
    try KafkaExactlyOnceOutput(service: self, group: group, topic: topic, config: config)
  }
}
