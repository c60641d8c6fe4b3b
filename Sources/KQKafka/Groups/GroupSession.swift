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

  /// Marks the generation over; the caller's next look at `needsRejoin` sees it.
  func endGeneration(_ reason: KafkaError, forgetMember: Bool = false) {
    state.withLock {
      $0.needsRejoin = true
      $0.rejoinReason = $0.rejoinReason ?? reason
      if forgetMember { $0.memberId = "" }
    }
    rebalance.raise()
  }

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
