/// Topic administration: list, describe, create, delete, add partitions, read and change
/// configs. Requests that change topics go to the controller when metadata names one (a KRaft
/// broker forwards them itself), else to any broker.
extension KafkaCluster {
  /// The names of the cluster's topics, sorted; internal ones (`__consumer_offsets`) only
  /// when asked.
  package func topicNames(includingInternal: Bool = false) throws(KafkaError) -> [String] {
    try retrying("listing topics") { (deadline) throws(KafkaError) in
      let response = try refreshMetadata(topics: nil, deadline: deadline)
      return response.topics.filter { $0.errorCode.isNone && (includingInternal || !$0.isInternal) }
        .compactMap(\.name).sorted()
    }
  }

  /// The topic's partitions and leaders, asked afresh.
  package func describeTopic(_ name: String) throws(KafkaError) -> TopicMetadata {
    try retrying("describing topic '\(name)'") { (deadline) throws(KafkaError) in
      forgetMetadata(of: name)
      return try topicMetadata(name, deadline: deadline)
    }
  }

  /// Creates a topic and waits until metadata shows every partition with a leader, so the
  /// next produce or fetch finds it. Partitions or replication factor -1 take the broker's
  /// defaults. TOPIC_ALREADY_EXISTS when it exists.
  package func createTopic(
    _ name: String, partitions: Int32, replicationFactor: Int16 = -1, configs: [(name: String, value: String)] = []
  ) throws(KafkaError) {
    guard partitions > 0 || partitions == -1 else {
      throw .invalidArgument("a topic needs at least one partition, not \(partitions)")
    }
    let deadline = Deadline.after(options.timeout)
    let request = CreateTopicsRequest(
      topics: [
        .init(
          name: name, partitions: partitions, replicationFactor: replicationFactor,
          configs: configs.map { ($0.name, $0.value) })
      ], timeoutMs: timeoutMillis(deadline))
    try retrying("creating topic '\(name)'", until: deadline) { (deadline) throws(KafkaError) in
      let results = try controller(deadline: deadline).request(request, deadline: requestDeadline(deadline))
      try Self.check(results.map { ($0.errorCode, $0.errorMessage, KafkaSubject.topic($0.name)) })
    }
    forgetMetadata(of: name)
    try retrying("waiting for topic '\(name)' to have leaders", until: deadline) { (deadline) throws(KafkaError) in
      let response = try refreshMetadata(topics: [name], deadline: deadline)
      let topic = response.topics.first { $0.name == name }
      guard let topic, topic.errorCode.isNone, !topic.partitions.isEmpty,
        partitions == -1 || topic.partitions.count == Int(partitions)
      else {
        forgetMetadata(of: name)
        throw .broker(topic?.errorCode ?? .leaderNotAvailable, subject: .partition(topic: name, partition: 0), message: nil)
      }
      if let leaderless = topic.partitions.first(where: { $0.leaderId < 0 }) {
        forgetMetadata(of: name)
        throw .noLeader(topic: name, partition: leaderless.index)
      }
    }
  }

  /// Deletes a topic. UNKNOWN_TOPIC_OR_PARTITION when there is none.
  package func deleteTopic(_ name: String) throws(KafkaError) {
    let deadline = Deadline.after(options.timeout)
    let request = DeleteTopicsRequest(names: [name], timeoutMs: timeoutMillis(deadline))
    try retrying("deleting topic '\(name)'", until: deadline) { (deadline) throws(KafkaError) in
      let results = try controller(deadline: deadline).request(request, deadline: requestDeadline(deadline))
      try Self.check(
        results.map { ($0.errorCode, $0.errorMessage, KafkaSubject.topic($0.name ?? name)) })
    }
    forgetMetadata(of: name)
  }

  /// Grows a topic to `totalCount` partitions (CreatePartitions; a broker without it answers
  /// `unsupportedApi`).
  package func createPartitions(_ topic: String, totalCount: Int32) throws(KafkaError) {
    let deadline = Deadline.after(options.timeout)
    let request = CreatePartitionsRequest(topic: topic, count: totalCount, timeoutMs: timeoutMillis(deadline))
    try retrying("adding partitions to '\(topic)'", until: deadline) { (deadline) throws(KafkaError) in
      let results = try controller(deadline: deadline).request(request, deadline: requestDeadline(deadline))
      try Self.check(
        results.map { ($0.errorCode, $0.errorMessage, KafkaSubject.topic($0.name)) })
    }
    forgetMetadata(of: topic)
  }

  /// Every config of the topic, with its source.
  package func topicConfig(_ topic: String) throws(KafkaError) -> [TopicConfigEntry] {
    try retrying("describing the configs of '\(topic)'") { (deadline) throws(KafkaError) in
      let results = try anyConnection(deadline: deadline).request(
        DescribeConfigsRequest(topic: topic), deadline: requestDeadline(deadline))
      try Self.check(
        results.map { ($0.errorCode, $0.errorMessage, KafkaSubject.topic($0.name)) })
      return results.first { $0.name == topic }?.entries ?? []
    }
  }

  /// Sets and removes topic configs, leaving the others.
  package func alterTopicConfig(_ topic: String, set: [(name: String, value: String)], remove: [String] = [])
    throws(KafkaError)
  {
    let changes =
      set.map { (name: $0.name, operation: IncrementalAlterConfigsRequest.Operation.set, value: Optional($0.value)) }
      + remove.map { (name: $0, operation: .delete, value: nil) }
    try retrying("changing the configs of '\(topic)'") { (deadline) throws(KafkaError) in
      let results = try controller(deadline: deadline).request(
        IncrementalAlterConfigsRequest(topic: topic, changes: changes), deadline: requestDeadline(deadline))
      try Self.check(
        results.map { ($0.errorCode, $0.errorMessage, KafkaSubject.topic($0.name)) })
    }
  }

  // MARK: Helpers

  /// The controller if metadata names one, else any broker.
  func controller(deadline: Deadline) throws(KafkaError) -> BrokerConnection {
    if controllerId == nil { try refreshMetadata(topics: [], deadline: deadline) }
    if let controllerId, brokers[controllerId] != nil {
      return try connection(toNode: controllerId, deadline: deadline)
    }
    return try anyConnection(deadline: deadline)
  }

  /// The time left, in whole milliseconds, for a broker-side timeout field.
  func timeoutMillis(_ deadline: Deadline) -> Int32 {
    Int32(clamping: deadline.pollTimeoutMillis)
  }

  /// Throws the first error among per-item results. UNKNOWN_TOPIC_OR_PARTITION about a topic
  /// means there is no such topic (not retried); NOT_CONTROLLER is about the cluster (retried
  /// after metadata names the new controller).
  static func check(_ results: [(code: KafkaErrorCode, message: String?, subject: KafkaSubject)]) throws(KafkaError) {
    for result in results where !result.code.isNone {
      if result.code == .notController { throw .broker(result.code, subject: .cluster, message: result.message) }
      throw .broker(result.code, subject: result.subject, message: result.message)
    }
  }
}
