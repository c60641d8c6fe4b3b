import Glibc
import KQLog

/// A thread that sends a Heartbeat every `interval` while the member's generation lasts, so
/// the caller can work (fetch, run a command) without the coordinator taking its partitions.
/// When the coordinator says the generation is over (a rebalance, an unknown member), or no
/// heartbeat has been accepted for a session timeout, it marks the session for a rejoin,
/// raises its wakeup, and waits for the next generation.
final class HeartbeatThread: @unchecked Sendable {
  private let session: GroupSession
  private let channel: CoordinatorChannel
  private let interval: Duration
  private let sessionTimeout: Duration
  private let requestTimeout: Duration
  private let stopping: Wakeup
  private var thread: pthread_t?

  init(
    session: GroupSession, channel: CoordinatorChannel, interval: Duration, sessionTimeout: Duration,
    requestTimeout: Duration
  ) throws(KafkaError) {
    self.session = session
    self.channel = channel
    self.interval = interval
    self.sessionTimeout = sessionTimeout
    self.requestTimeout = requestTimeout
    stopping = try Wakeup()
  }

  /// Starts the thread; the error number when the system would not start one.
  func start() -> Int32? {
    switch HelperThread.start({ [self] in run() }) {
    case .success(let created):
      thread = created
      return nil
    case .failure(let error):
      return error.code
    }
  }

  /// Ends the thread; returns once it has (a heartbeat in flight finishes first, within the
  /// request timeout).
  func stop() {
    guard let thread else { return }
    stopping.raise()
    pthread_join(thread, nil)
    self.thread = nil
  }

  private func run() {
    while !stopping.wait(until: .after(interval)) {
      let state = session.snapshot
      guard state.isMember, !state.needsRejoin else { continue }
      beat(state)
    }
  }

  private func beat(_ state: GroupSession.State) {
    let request = HeartbeatRequest(group: session.group, generationId: state.generationId, memberId: state.memberId)
    let deadline = Deadline.after(min(requestTimeout, sessionTimeout))
    do throws(KafkaError) {
      let code = try channel.use(group: session.group, deadline: deadline) { (connection) throws(KafkaError) in
        try connection.request(request, deadline: deadline)
      }
      if code.isNone {
        session.state.withLock { if $0.generationId == state.generationId { $0.lastHeartbeat = .now() } }
      } else {
        let error = KafkaError.broker(code, subject: .group(session.group), message: nil)
        if code.needsRejoin || code.isCoordinatorError {
          session.endGeneration(error, forgetMember: code == .unknownMemberId, generation: state.generationId)
        }
      }
    } catch {
      // Network trouble: the next beat tries again on a new connection, until the session
      // would have expired on the coordinator.
      if session.snapshot.lastHeartbeat.advanced(by: sessionTimeout).hasPassed {
        session.endGeneration(error, generation: state.generationId)
      }
    }
  }
}
