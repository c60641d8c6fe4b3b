/// A topic as metadata describes it: its partitions in order of index.
package struct TopicMetadata: Equatable, Sendable {
  package var name: String
  /// Kafka's id of this topic (zero where the broker gives none): a topic deleted and created
  /// again under the same name has a new one.
  package var topicId = KafkaUUID.zero
  package var isInternal: Bool
  package var partitions: [PartitionMetadata]

  package var partitionCount: Int { partitions.count }

  package func partition(_ index: Int32) -> PartitionMetadata? {
    partitions.first { $0.index == index }
  }
}

/// One partition's leader and replicas. `leaderId` is nil while no leader is elected.
package struct PartitionMetadata: Equatable, Sendable {
  package var index: Int32
  package var leaderId: Int32?
  package var leaderEpoch: Int32
  package var replicas: [Int32]
  package var inSyncReplicas: [Int32]
}

extension TopicMetadata {
  init(_ topic: MetadataRequest.Topic, name: String) {
    self.name = name
    topicId = topic.topicId
    isInternal = topic.isInternal
    partitions = topic.partitions.map {
      PartitionMetadata(
        index: $0.index, leaderId: $0.leaderId >= 0 ? $0.leaderId : nil, leaderEpoch: $0.leaderEpoch,
        replicas: $0.replicas, inSyncReplicas: $0.inSyncReplicas)
    }.sorted { $0.index < $1.index }
  }
}
