/// Consumer group administration and offsets, at each group's coordinator. Membership (join,
/// heartbeats, assignment) is `GroupMember`'s.
extension KafkaCluster {
  /// The group's coordinator, asking any broker when it is not known.
  package func coordinator(of group: String, deadline: Deadline) throws(KafkaError) -> BrokerAddress {
    if let known = coordinators[group] { return known }
    let response = try anyConnection(deadline: deadline).request(
      FindCoordinatorRequest(group: group), deadline: requestDeadline(deadline))
    guard response.errorCode.isNone else {
      throw .broker(response.errorCode, subject: .group(group), message: response.errorMessage)
    }
    guard let port = UInt16(exactly: response.port), port > 0, !response.host.isEmpty else {
      throw .broker(.coordinatorNotAvailable, subject: .group(group), message: "FindCoordinator named no address")
    }
    let address = BrokerAddress(host: response.host, port: port)
    coordinators[group] = address
    return address
  }

  /// A connection to the group's coordinator.
  package func coordinatorConnection(of group: String, deadline: Deadline) throws(KafkaError) -> BrokerConnection {
    try connection(to: coordinator(of: group, deadline: deadline), deadline: deadline)
  }

  /// The group's committed offsets (the next offset to read) of a topic's partitions; a
  /// partition with nothing committed is left out. A group that does not exist has none.
  package func committedOffsets(group: String, topic: String, partitions: [Int32]) throws(KafkaError) -> [Int32: Int64] {
    try retrying("reading offsets of group '\(group)'") { (deadline) throws(KafkaError) in
      let response = try coordinatorConnection(of: group, deadline: deadline).request(
        OffsetFetchRequest(group: group, topic: (topic, partitions)), deadline: requestDeadline(deadline))
      guard response.errorCode.isNone else { throw .broker(response.errorCode, subject: .group(group), message: nil) }
      var offsets: [Int32: Int64] = [:]
      for entry in response.offsets where entry.topic == topic {
        guard entry.errorCode.isNone else {
          throw .broker(entry.errorCode, subject: .partition(topic: topic, partition: entry.partition), message: nil)
        }
        if entry.offset >= 0 { offsets[entry.partition] = entry.offset }
      }
      return offsets
    }
  }

  /// Every offset the group has committed, by topic and partition.
  package func committedOffsets(group: String) throws(KafkaError) -> [String: [Int32: Int64]] {
    try retrying("reading offsets of group '\(group)'") { (deadline) throws(KafkaError) in
      let response = try coordinatorConnection(of: group, deadline: deadline).request(
        OffsetFetchRequest(group: group, topic: nil), deadline: requestDeadline(deadline))
      guard response.errorCode.isNone else { throw .broker(response.errorCode, subject: .group(group), message: nil) }
      var offsets: [String: [Int32: Int64]] = [:]
      for entry in response.offsets where entry.errorCode.isNone && entry.offset >= 0 {
        offsets[entry.topic, default: [:]][entry.partition] = entry.offset
      }
      return offsets
    }
  }

  /// Commits offsets for a group from outside it (generation -1): the coordinator accepts
  /// this only while the group has no members (else UNKNOWN_MEMBER_ID or
  /// ILLEGAL_GENERATION). Members commit through `GroupMember.commit`.
  package func commitOffsets(group: String, topic: String, offsets: [Int32: Int64]) throws(KafkaError) {
    try retrying("committing offsets of group '\(group)'") { (deadline) throws(KafkaError) in
      try Self.commit(
        group: group, generationId: -1, memberId: "", topic: topic, offsets: offsets,
        on: coordinatorConnection(of: group, deadline: deadline), deadline: requestDeadline(deadline))
    }
  }

  /// Sends an OffsetCommit and throws the first partition's error.
  static func commit(
    group: String, generationId: Int32, memberId: String, topic: String, offsets: [Int32: Int64],
    on connection: BrokerConnection, deadline: Deadline
  ) throws(KafkaError) {
    for (partition, offset) in offsets where offset < 0 || partition < 0 {
      throw .invalidArgument("cannot commit offset \(offset) of partition \(partition)")
    }
    let request = OffsetCommitRequest(
      group: group, generationId: generationId, memberId: memberId, topic: topic,
      offsets: offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    for result in try connection.request(request, deadline: deadline) where !result.errorCode.isNone {
      let subject: KafkaSubject =
        result.errorCode.isCoordinatorError || result.errorCode.needsRejoin
        ? .group(group) : .partition(topic: result.topic, partition: result.partition)
      throw .broker(result.errorCode, subject: subject, message: nil)
    }
  }

  /// Every group of the cluster: ListGroups asks each broker for the groups it coordinates.
  package func listGroups() throws(KafkaError) -> [ListedGroup] {
    try retrying("listing groups") { (deadline) throws(KafkaError) in
      try refreshMetadata(topics: [], deadline: deadline)
      var groups: Set<ListedGroup> = []
      for nodeId in brokers.keys.sorted() {
        let response = try connection(toNode: nodeId, deadline: deadline).request(
          ListGroupsRequest(), deadline: requestDeadline(deadline))
        guard response.errorCode.isNone else { throw .broker(response.errorCode, subject: .cluster, message: nil) }
        groups.formUnion(response.groups)
      }
      return groups.sorted { $0.name < $1.name }
    }
  }

  /// A group's state, protocol and members. A group nobody knows is reported by the broker
  /// as state "Dead" with no members.
  package func describeGroup(_ group: String) throws(KafkaError) -> GroupDescription {
    try retrying("describing group '\(group)'") { (deadline) throws(KafkaError) in
      let groups = try coordinatorConnection(of: group, deadline: deadline).request(
        DescribeGroupsRequest(groups: [group]), deadline: requestDeadline(deadline))
      guard let description = groups.first(where: { $0.name == group }) else {
        throw .broker(.unknownServerError, subject: .group(group), message: "DescribeGroups left the group out")
      }
      guard description.errorCode.isNone else {
        throw .broker(description.errorCode, subject: .group(group), message: description.errorMessage)
      }
      return description
    }
  }

  /// Deletes a group with no members, and its offsets. NON_EMPTY_GROUP while it has members,
  /// GROUP_ID_NOT_FOUND when there is none.
  package func deleteGroup(_ group: String) throws(KafkaError) {
    try retrying("deleting group '\(group)'") { (deadline) throws(KafkaError) in
      let results = try coordinatorConnection(of: group, deadline: deadline).request(
        DeleteGroupsRequest(groups: [group]), deadline: requestDeadline(deadline))
      for result in results where result.group == group && !result.errorCode.isNone {
        throw .broker(result.errorCode, subject: .group(group), message: nil)
      }
    }
  }
}
