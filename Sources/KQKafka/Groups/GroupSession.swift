import Synchronization

/// What a group member and its heartbeat thread share: the member id and generation from the
/// last join, and whether the member must join again (and why).
final class GroupSession: Sendable {
  let group: String

  struct State: Sendable {
    var memberId = ""
    var generationId: Int32 = -1
    var isMember = false
    /// Set by the heartbeat thread or a failed commit: the generation is over.
    var needsRejoin = false
    /// What ended the generation.
    var rejoinReason: KafkaError?
    /// The last heartbeat the coordinator accepted.
    var lastHeartbeat = Deadline.now()
  }

  let state = Mutex(State())
  /// Raised when the member must join again.
  let rebalance: Wakeup

  init(group: String) throws(KafkaError) {
    self.group = group
    rebalance = try Wakeup()
  }

  var snapshot: State { state.withLock { $0 } }

  /// Marks the generation over; the caller's next look at `needsRejoin` sees it. With
  /// `generation`, only if that generation is still the current one: a heartbeat of a
  /// generation a join has just replaced must not end the new one.
  func endGeneration(_ reason: KafkaError, forgetMember: Bool = false, generation: Int32? = nil) {
    let ended = state.withLock { state -> Bool in
      if let generation, generation != state.generationId || state.needsRejoin { return false }
      state.needsRejoin = true
      state.rejoinReason = state.rejoinReason ?? reason
      if forgetMember { state.memberId = "" }
      return true
    }
    if ended { rebalance.raise() }
  }

  /// A join is under way: heartbeats pause until it ends.
  func beginJoin() { state.withLock { $0.needsRejoin = true } }

  func beginGeneration(memberId: String, generationId: Int32) {
    state.withLock {
      $0.memberId = memberId
      $0.generationId = generationId
      $0.isMember = true
      $0.needsRejoin = false
      $0.rejoinReason = nil
      $0.lastHeartbeat = .now()
    }
    rebalance.lower()
  }
}
