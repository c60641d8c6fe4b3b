import KQLog

/// Consumer groups through the group coordinator: membership (JoinGroup, SyncGroup,
/// heartbeats) for `consume --group`, offsets committed in the member's generation.
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
    // A member commits in its generation (a broker refuses other commits while the group
    // has members); without one (`group reset`), outside any.
    if let member = members[group.value]?.member {
      try calling { () throws(KafkaError) in try member.commit(topic: topic.value, offsets: [index: offset]) }
      return
    }
    try calling { () throws(KafkaError) in try cluster.commitOffsets(group: group.value, topic: topic.value, offsets: [index: offset]) }
  }

  /// Joins through the coordinator and owns what the group assigns among `partitions`: the
  /// topics' other partitions may go to this member too (the group assigns whole topics),
  /// and are left unread. Heartbeats go every third of the session timeout, and a rebalance
  /// waits as long for the members to join again.
  package func join(group: GroupName, partitions: [InputPartition], sessionTimeout: Duration?) throws(StorageError)
    -> any GroupMembership
  {
    var topics: [String] = []
    for input in partitions where !topics.contains(input.topic.value) { topics.append(input.topic.value) }
    let options = GroupMember.Options(sessionTimeout: sessionTimeout ?? GroupMember.Options.defaultSessionTimeout)
    let member = try calling { () throws(KafkaError) in
      try GroupMember(cluster: cluster, group: group.value, topics: topics, options: options)
    }
    let assignment: [String: [Int32]]
    do { assignment = try member.join() } catch {
      guard error.code == .invalidSessionTimeout else { throw error.storageError }
      throw .cluster(
        reason: "the cluster refuses a session timeout of \(options.sessionTimeout.wireMilliseconds) ms for group '\(group)' (INVALID_SESSION_TIMEOUT)",
        failure: .sessionTimeoutRefused)
    }
    let membership = KafkaGroupMembership(member: member, group: group, asked: partitions, assignment: assignment)
    members[group.value] = WeakMembership(membership)
    return membership
  }

  /// The member the coordinator says owns `partition` ("MEMBER-ID (CLIENT-ID@HOST)"); nil
  /// when none does or the coordinator leaves assignments out (Tansu 0.6.0).
  package func holder(of partition: InputPartition, group: GroupName) -> PartitionHolder? {
    guard let owner = (try? members(of: group))??.owner(of: partition) else { return nil }
    return PartitionHolder(description: "\(owner.memberId) (\(owner.clientId)@\(owner.host))")
  }

  /// DescribeGroups: the group's state and members.
  package func members(of group: GroupName) throws(StorageError) -> GroupMembers? {
    try calling { () throws(KafkaError) in try cluster.describeGroup(group.value) }.liveMembers
  }

  /// Throws `groupNotFound` unless the cluster lists the group or it has members (a broker
  /// deletes, and answers offsets of, a group it does not have without complaint).
  private func requireGroup(_ group: GroupName) throws(StorageError) {
    guard try !groupNames().contains(group) else { return }
    // Tansu 0.6.0 lists a group only once it has offsets: one with members is there too.
    guard try members(of: group)?.members.isEmpty == false else { throw .groupNotFound(group.value) }
  }

  /// Refuses a group with members, as Kafka's coordinator does (NON_EMPTY_GROUP) and as a
  /// leased partition refuses locally; Tansu 0.6.0 would delete it under them.
  package func deleteGroup(_ group: GroupName) throws(StorageError) {
    try requireGroup(group)
    if let live = try members(of: group), !live.members.isEmpty {
      throw .groupHasMembers(group: group.value, members: live.members.count)
    }
    try calling { () throws(KafkaError) in try cluster.deleteGroup(group.value) }
  }
}

extension GroupDescription {
  /// The members as the commands show them, each member's assignment decoded with the
  /// consumer protocol: nil when the group is not a consumer group or the coordinator sent no
  /// assignment (Tansu 0.6.0), or one that does not decode.
  package var liveMembers: GroupMembers {
    let isConsumerGroup = protocolType == ConsumerProtocol.protocolType
    return GroupMembers(
      state: state,
      members: members.map { member in
        var partitions: [InputPartition]?
        if isConsumerGroup && !member.assignment.isEmpty, let assigned = member.assignedPartitions {
          partitions = assigned.sorted { $0.key < $1.key }.flatMap { topic, indexes in
            (try? TopicName(topic)).map { name in indexes.sorted().map { InputPartition(topic: name, partition: Int($0)) } } ?? []
          }
        }
        return GroupMembers.Member(
          memberId: member.memberId, clientId: member.clientId, host: member.clientHost, partitions: partitions)
      })
  }
}
