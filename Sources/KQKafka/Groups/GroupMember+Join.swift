/// Joining: JoinGroup until the rebalance completes, the leader's assignment, SyncGroup.
extension GroupMember {
  /// Joins the group, or joins again after a rebalance began, and returns this member's
  /// partitions by topic. Blocks until every member has joined (up to the rebalance timeout).
  /// Retries coordinator moves and network failures within the client's timeout plus the
  /// rebalance timeout.
  @discardableResult
  package func join() throws(KafkaError) -> [String: [Int32]] {
    let total = cluster.options.timeout + options.rebalanceTimeout
    let deadline = Deadline.after(total)
    session.beginJoin()
    var pause = cluster.options.retryBackoff
    while true {
      do throws(KafkaError) {
        return try joinOnce(deadline: deadline)
      } catch {
        let code = error.code
        if code == .unknownMemberId { forgetMemberId() }
        let isImmediate = code == .unknownMemberId || code == .illegalGeneration || code == .rebalanceInProgress
        guard isImmediate || error.isRetriable else { throw error }
        guard deadline.remaining > pause else { throw .timedOut(operation: "joining group '\(group)'", after: total, last: error) }
        if !isImmediate {
          guard Cancellation.pause(pause) else { throw .interrupted }
          pause = min(pause * 2, cluster.options.retryBackoffMax)
        }
      }
    }
  }

  private func joinOnce(deadline: Deadline) throws(KafkaError) -> [String: [Int32]] {
    let subscription = ConsumerProtocol.Subscription(topics: topics).encoded
    var request = JoinGroupRequest(
      group: group, sessionTimeoutMs: options.sessionTimeout.wireMilliseconds,
      rebalanceTimeoutMs: options.rebalanceTimeout.wireMilliseconds, memberId: memberId,
      protocolType: ConsumerProtocol.protocolType, protocols: options.assignors.map { ($0.name, subscription) })
    var joined = try requestCoordinator(request, deadline: deadline)
    if joined.errorCode == .memberIdRequired {  // the first join of a member: the broker names it
      setMemberId(joined.memberId)
      request.memberId = joined.memberId
      joined = try requestCoordinator(request, deadline: deadline)
    }
    guard joined.errorCode.isNone else { throw .broker(joined.errorCode, subject: .group(group), message: nil) }
    setMemberId(joined.memberId)
    let isLeader = joined.leader == joined.memberId
    let assignments = isLeader ? try assign(joined.members, protocolName: joined.protocolName, deadline: deadline) : []
    let synced = try requestCoordinator(
      SyncGroupRequest(
        group: group, generationId: joined.generationId, memberId: joined.memberId,
        protocolType: ConsumerProtocol.protocolType, protocolName: joined.protocolName ?? "", assignments: assignments),
      deadline: deadline)
    guard synced.errorCode.isNone else { throw .broker(synced.errorCode, subject: .group(group), message: nil) }
    let assignment: ConsumerProtocol.Assignment
    do throws(WireError) {
      assignment = try ConsumerProtocol.Assignment(decoding: synced.assignment)
    } catch {
      throw .malformedResponse(channel.coordinator ?? BrokerAddress(host: "?", port: 0), api: .syncGroup, error)
    }
    begin(
      memberId: joined.memberId, generationId: joined.generationId, assignment: assignment.partitions,
      protocolName: joined.protocolName, isLeader: isLeader)
    try startHeartbeats()
    return assignment.partitions
  }

  /// A join or sync request to the coordinator: the broker holds it until the rebalance
  /// completes, so it may take the rebalance timeout beyond the request timeout.
  private func requestCoordinator<R: KafkaRequest>(_ request: R, deadline: Deadline) throws(KafkaError) -> R.Response {
    try withCoordinator(deadline: deadline) { (connection) throws(KafkaError) in
      try connection.request(request, deadline: cluster.requestDeadline(deadline, extra: options.rebalanceTimeout))
    }
  }

  /// The leader's work: every member's partitions, from their subscriptions and the topics'
  /// partition counts (asked afresh; a topic that does not exist gets no one).
  private func assign(_ members: [JoinGroupRequest.Member], protocolName: String?, deadline: Deadline) throws(KafkaError)
    -> [(memberId: String, assignment: [UInt8])]
  {
    guard let assignor = PartitionAssignor(rawValue: protocolName ?? "") else {
      throw .broker(
        .inconsistentGroupProtocol, subject: .group(group),
        message: "the group chose assignment protocol '\(protocolName ?? "")', which kq does not implement")
    }
    var subscriptions: [String: [String]] = [:]
    for member in members {
      // A member whose subscription does not decode subscribes to nothing.
      subscriptions[member.memberId] = (try? ConsumerProtocol.Subscription(decoding: member.metadata))?.topics ?? []
    }
    var counts: [String: Int32] = [:]
    for topic in Set(subscriptions.values.joined()).sorted() {
      cluster.forgetMetadata(of: topic)
      do throws(KafkaError) {
        counts[topic] = Int32(clamping: try cluster.topicMetadata(topic, deadline: deadline).partitionCount)
      } catch where error.code == .unknownTopicOrPartition {
        continue
      }
    }
    return assignor.assign(subscriptions: subscriptions, partitionCounts: counts)
      .sorted { $0.key < $1.key }
      .map { ($0.key, ConsumerProtocol.Assignment(partitions: $0.value).encoded) }
  }
}
