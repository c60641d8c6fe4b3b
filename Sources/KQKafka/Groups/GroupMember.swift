/// A member of a consumer group ("consumer" protocol type): joins through the coordinator,
/// receives its share of the subscribed topics' partitions (computing everyone's share when
/// the coordinator makes it the leader), keeps its membership with heartbeats from a thread
/// of its own, commits offsets in its generation, and leaves.
///
/// The caller's loop: `join()`, work on the partitions (fetch, process, `commit`), and when
/// `needsRejoin` is true (another member came or went), `join()` again: the partitions may
/// change. Work done since the last commit in an ended generation may be delivered to another
/// member: at least once.
package final class GroupMember {
  package struct Options: Sendable {
    /// kq's session timeout when none is given: the least a Kafka broker allows by default
    /// (`group.min.session.timeout.ms`), so that a killed kq's partitions move soon. Java's
    /// consumer asks for 45 s.
    package static let defaultSessionTimeout: Duration = .seconds(6)
    /// Without an accepted heartbeat for this long, the coordinator removes the member
    /// (Java's `session.timeout.ms`).
    package var sessionTimeout: Duration
    /// How long the coordinator waits for every member to join again in a rebalance (Java's
    /// `max.poll.interval.ms`); kq's is the session timeout.
    package var rebalanceTimeout: Duration
    /// The pause between heartbeats (Java's `heartbeat.interval.ms`): a third of the session
    /// timeout, as Kafka advises, so that two may be lost before the session ends.
    package var heartbeatInterval: Duration
    /// The strategies offered, preferred first.
    package var assignors: [PartitionAssignor] = [.range, .roundRobin]

    package init(sessionTimeout: Duration = Options.defaultSessionTimeout) {
      self.sessionTimeout = sessionTimeout
      rebalanceTimeout = sessionTimeout
      heartbeatInterval = sessionTimeout / 3
    }
  }

  package let group: String
  package let topics: [String]
  package let options: Options
  let cluster: KafkaCluster
  let session: GroupSession
  let channel: CoordinatorChannel
  private var heartbeat: HeartbeatThread?
  /// This member's partitions in the current generation.
  package private(set) var assignment: [String: [Int32]] = [:]
  /// The strategy the group chose in the current generation.
  package private(set) var protocolName: String?
  package private(set) var isLeader = false

  package init(cluster: KafkaCluster, group: String, topics: [String], options: Options = Options()) throws(KafkaError) {
    guard !group.isEmpty else { throw .invalidArgument("a group needs a name") }
    guard !options.assignors.isEmpty else { throw .invalidArgument("a group member needs an assignor") }
    self.cluster = cluster
    self.group = group
    self.topics = topics
    self.options = options
    session = try GroupSession(group: group)
    channel = CoordinatorChannel(
      clientId: cluster.options.clientId, maxResponseBytes: cluster.options.maxResponseBytes,
      versionCaps: cluster.options.versionCaps)
  }

  deinit { heartbeat?.stop() }

  package var memberId: String { session.snapshot.memberId }
  package var generationId: Int32 { session.snapshot.generationId }

  /// Whether the generation is over (a rebalance began, the member was removed): call
  /// `join()` before committing again.
  package var needsRejoin: Bool {
    let state = session.snapshot
    return !state.isMember || state.needsRejoin
  }

  /// Readable once the generation ends, until the next join begins one: a follower polls it
  /// beside its other descriptors.
  package var rebalanceDescriptor: Int32 { session.rebalance.descriptor }

  /// What ended the generation, when one ended.
  package var rejoinReason: KafkaError? { session.snapshot.rejoinReason }

  /// Waits until the generation ends or the deadline passes; true when it ended.
  package func waitForRebalance(until deadline: Deadline) -> Bool {
    needsRejoin || session.rebalance.wait(until: deadline)
  }

  /// Commits the next offsets to read of a topic's partitions, in this generation. A
  /// generation that ended meanwhile is REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or
  /// UNKNOWN_MEMBER_ID (`needsRejoin` is then true): join again; the offsets were not stored.
  package func commit(topic: String, offsets: [Int32: Int64]) throws(KafkaError) {
    try cluster.retrying("committing offsets of group '\(group)'") { (deadline) throws(KafkaError) in
      let state = session.snapshot
      guard state.isMember else { throw .notAMember(group: group) }
      do throws(KafkaError) {
        try withCoordinator(deadline: deadline) { (connection) throws(KafkaError) in
          try KafkaCluster.commit(
            group: group, generationId: state.generationId, memberId: state.memberId, topic: topic, offsets: offsets,
            on: connection, deadline: cluster.requestDeadline(deadline))
        }
      } catch {
        if let code = error.code, code.needsRejoin { session.endGeneration(error) }
        throw error
      }
    }
  }

  /// Marks the generation over, as a heartbeat hearing of a rebalance does: a request made in
  /// it elsewhere (a TxnOffsetCommit) was refused for a generation that ended.
  package func endGeneration(_ reason: KafkaError) {
    session.endGeneration(reason, forgetMember: reason.code == .unknownMemberId)
  }

  /// Leaves the group at once (so the others rebalance without waiting for the session to
  /// time out) and stops heartbeats.
  package func leave() throws(KafkaError) {
    heartbeat?.stop()
    heartbeat = nil
    let state = session.snapshot
    session.state.withLock { $0 = GroupSession.State() }
    assignment = [:]
    guard state.isMember, !state.memberId.isEmpty else { return }
    defer { channel.close() }
    try cluster.retrying("leaving group '\(group)'") { (deadline) throws(KafkaError) in
      let code = try withCoordinator(deadline: deadline) { (connection) throws(KafkaError) in
        try connection.request(
          LeaveGroupRequest(group: group, memberId: state.memberId), deadline: cluster.requestDeadline(deadline))
      }
      // A member the coordinator already dropped has left.
      guard code.isNone || code == .unknownMemberId else { throw .broker(code, subject: .group(group), message: nil) }
    }
  }

  /// Runs `body` on the coordinator's connection, finding the coordinator first when the
  /// member does not know it; a coordinator that moved is forgotten for the next try.
  func withCoordinator<T>(deadline: Deadline, _ body: (BrokerConnection) throws(KafkaError) -> T) throws(KafkaError) -> T {
    if channel.coordinator == nil {
      channel.setCoordinator(try cluster.coordinator(of: group, deadline: deadline))
    }
    do {
      return try channel.use(group: group, deadline: cluster.requestDeadline(deadline), body)
    } catch {
      if error.code?.isCoordinatorError == true || error.breaksConnection {
        channel.setCoordinator(nil)
        cluster.forgetCoordinator(of: group)
      }
      throw error
    }
  }

  /// Starts heartbeats for the generation just begun (once; the thread follows generations).
  func startHeartbeats() throws(KafkaError) {
    guard heartbeat == nil else { return }
    let thread = try HeartbeatThread(
      session: session, channel: channel, interval: options.heartbeatInterval, sessionTimeout: options.sessionTimeout,
      requestTimeout: cluster.options.requestTimeout)
    if let failure = thread.start() {
      throw .localResource(operation: "starting the heartbeat thread of group '\(group)'", errno: failure)
    }
    heartbeat = thread
  }

  func begin(memberId: String, generationId: Int32, assignment: [String: [Int32]], protocolName: String?, isLeader: Bool) {
    self.assignment = assignment
    self.protocolName = protocolName
    self.isLeader = isLeader
    session.beginGeneration(memberId: memberId, generationId: generationId)
  }

  func forgetMemberId() { session.state.withLock { $0.memberId = "" } }
  func setMemberId(_ id: String) { session.state.withLock { $0.memberId = id } }
}

extension KafkaCluster {
  /// Forgets the group's coordinator, so the next use asks FindCoordinator again.
  package func forgetCoordinator(of group: String) { coordinators[group] = nil }
}
