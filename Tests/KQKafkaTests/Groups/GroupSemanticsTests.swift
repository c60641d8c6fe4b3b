import Foundation
import Testing

@testable import KQKafka

/// A group coordinator's answers that Tansu 0.6.0 does not give (KIP-394's
/// MEMBER_ID_REQUIRED, a rebalance announced by a heartbeat, a commit from an ended
/// generation, described assignments), played by a scripted broker.
@Suite("Group protocol against a scripted coordinator")
struct GroupSemanticsTests {
  typealias Log = ScriptedBroker.Log

  /// One member, "m-1", leads a group over topic "orders" of 3 partitions.
  private func coordinator(_ log: Log) throws -> FakeBroker {
    let port = ScriptedBroker.Box()
    let broker = try ScriptedBroker.start(topics: ["orders": 3]) { peer, request in
      switch request.api {
      case .findCoordinator:
        log.add("find")
        ScriptedBroker.answerFindCoordinator(peer, request, port: port.value)
      case .joinGroup:
        let (memberId, protocolName) = ScriptedBroker.answerJoinGroup(peer, request)
        log.add("join '\(memberId)' \(protocolName)")
      case .syncGroup:
        ScriptedBroker.answerSyncGroup(peer, request) { generation, assignment in
          let decoded = (try? ConsumerProtocol.Assignment(decoding: assignment))?.partitions ?? [:]
          log.add("sync \(generation) \(decoded)")
        }
      case .heartbeat:
        log.add("heartbeat")
        ScriptedBroker.answerErrorCode(peer, request, 27)  // REBALANCE_IN_PROGRESS
      case .offsetCommit:
        log.add("commit")
        ScriptedBroker.answerPartitionZero(peer, request, topic: "orders", 22)  // ILLEGAL_GENERATION
      case .leaveGroup:
        log.add("leave")
        ScriptedBroker.answerLeaveGroup(peer, request)
      default:
        return
      }
    }
    port.value = Int32(broker.port)
    return broker
  }

  @Test("a first join named by the coordinator, the leader's assignment, a heartbeat's rebalance, a refused commit")
  func memberLifecycle() throws {
    let log = Log()
    let broker = try coordinator(log)
    var clientOptions = KafkaClientOptions()
    clientOptions.timeout = .seconds(5)
    let cluster = try KafkaCluster(bootstrap: [broker.address], options: clientOptions)
    var options = GroupMember.Options()
    options.heartbeatInterval = .milliseconds(10)
    let member = try GroupMember(cluster: cluster, group: "g", topics: ["orders"], options: options)
    #expect(try member.join() == ["orders": [0, 1, 2]])
    #expect(member.isLeader && member.memberId == "m-1" && member.generationId == 1 && member.protocolName == "range")
    #expect(Array(log.all.prefix(4)) == ["find", "join '' range", "join 'm-1' range", "sync 1 [\"orders\": [0, 1, 2]]"])

    // The heartbeat thread hears of the rebalance and says so.
    #expect(member.waitForRebalance(until: .after(.seconds(10))))
    #expect(member.needsRejoin)
    #expect(member.rejoinReason == .broker(.rebalanceInProgress, subject: .group("g"), message: nil))

    // A commit in the ended generation is refused by name, not retried.
    #expect(throws: KafkaError.broker(.illegalGeneration, subject: .group("g"), message: nil)) {
      try member.commit(topic: "orders", offsets: [0: 4])
    }
    try member.leave()
    #expect(log.all.filter { $0 == "commit" }.count == 1)
    #expect(log.all.last == "leave")
  }

  @Test("a heartbeat answer about a generation a join has replaced does not end the new one")
  func staleHeartbeat() throws {
    let session = try GroupSession(group: "g")
    session.beginGeneration(memberId: "m-1", generationId: 2)
    session.endGeneration(.broker(.illegalGeneration, subject: .group("g"), message: nil), generation: 1)
    #expect(!session.snapshot.needsRejoin && !session.rebalance.isRaised)
    session.endGeneration(.broker(.rebalanceInProgress, subject: .group("g"), message: nil), generation: 2)
    #expect(session.snapshot.needsRejoin && session.rebalance.isRaised)
  }
}
