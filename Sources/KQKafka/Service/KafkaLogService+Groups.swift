import KQLog

/// Consumer groups' offsets through the group coordinator. Membership (JoinGroup, SyncGroup,
/// heartbeats) is the next part of cluster mode: `consume --group` is refused by name.
extension KafkaLogService {
  package func groupNames() throws(StorageError) -> [GroupName] {
    try calling { () throws(KafkaError) in try cluster.listGroups() }.compactMap { try? GroupName($0.name) }
      .sorted { $0.value < $1.value }
  }

  package func topics(ofGroup group: GroupName) throws(StorageError) -> [TopicName] {
    try requireGroup(group)
    let offsets = try calling { () throws(KafkaError) in try cluster.committedOffsets(group: group.value) }
    if !offsets.isEmpty { return offsets.keys.compactMap { try? TopicName($0) }.sorted { $0.value < $1.value } }
    // A broker that answers no list for "every topic" (Tansu 0.6.0) is asked topic by topic.
    var topics: [TopicName] = []
    for topic in try topicNames() where !(try committedOffsets(group: group, topic: topic)).isEmpty {
      topics.append(topic)
    }
    return topics
  }

  package func committedOffsets(group: GroupName, topic: TopicName) throws(StorageError) -> [Int: Int64] {
    let partitions = try config(of: topic).partitions
    let indexes = (0..<partitions).compactMap { Int32(exactly: $0) }
    let offsets = try calling { () throws(KafkaError) in
      try cluster.committedOffsets(group: group.value, topic: topic.value, partitions: indexes)
    }
    return Dictionary(uniqueKeysWithValues: offsets.filter { $0.value >= 0 }.map { (Int($0.key), $0.value) })
  }

  package func commit(group: GroupName, topic: TopicName, partition: Int, offset: Int64) throws(StorageError) {
    guard let index = Int32(exactly: partition) else {
      throw .partitionNotFound(topic: topic.value, partition: partition, partitionCount: 0)
    }
    try calling { () throws(KafkaError) in try cluster.commitOffsets(group: group.value, topic: topic.value, offsets: [index: offset]) }
  }

  package func join(group: GroupName, partitions: [InputPartition]) throws(StorageError) -> any GroupMembership {
    throw .cluster(reason: "consumer groups on a cluster (--group with --brokers) are not supported yet", failure: .notImplemented)
  }

  package func holder(of partition: InputPartition, group: GroupName) -> PartitionHolder? { nil }

  /// Throws `groupNotFound` unless the cluster lists the group (a broker deletes, and answers
  /// offsets of, a group it does not have without complaint).
  private func requireGroup(_ group: GroupName) throws(StorageError) {
    guard try groupNames().contains(group) else { throw .groupNotFound(group.value) }
  }

  package func deleteGroup(_ group: GroupName) throws(StorageError) {
    try requireGroup(group)
    try calling { () throws(KafkaError) in try cluster.deleteGroup(group.value) }
  }
}
