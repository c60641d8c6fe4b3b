import Foundation
import KQCommands
import KQTestSupport
import Testing

@testable import KQKafka

/// `--session-timeout`: what JoinGroup asks for, and a coordinator refusing it
/// (INVALID_SESSION_TIMEOUT, which Tansu 0.6.0 never answers: it takes any value), played by a
/// scripted broker.
@Suite("session timeout of a group member")
struct SessionTimeoutTests {
  /// Joins seen: "SESSION REBALANCE" in milliseconds.
  typealias Joins = ScriptedBroker.Log

  /// A coordinator of topic "orders" that answers every JoinGroup with INVALID_SESSION_TIMEOUT,
  /// as a Kafka broker does for a session outside group.min/max.session.timeout.ms. It lists
  /// no DescribeConfigs, so kq takes the topic's defaults without asking.
  private func refusingCoordinator(_ joins: Joins) throws -> FakeBroker {
    let port = ScriptedBroker.Box()
    let keys = ApiKey.allCases.filter { $0 != .describeConfigs }
    let broker = try ScriptedBroker.start(topics: ["orders": 2], listing: keys) { peer, request in
      var r = request.body
      switch request.api {
      case .findCoordinator:
        ScriptedBroker.answerFindCoordinator(peer, request, port: port.value)
      case .joinGroup:
        _ = try? r.string()
        let session = (try? r.int32()) ?? -1
        let rebalance = (try? r.int32()) ?? -1
        joins.add("\(session) \(rebalance)")
        peer.answer(request) { w in
          w.int32(0)
          w.int16(26)  // INVALID_SESSION_TIMEOUT
          w.int32(-1)
          w.nullableString(nil)
          w.nullableString(nil)
          w.string("")
          w.bool(false)
          w.string("")
          w.arrayCount(0)
          w.taggedFields()
        }
      default:
        return
      }
    }
    port.value = Int32(broker.port)
    return broker
  }

  private func kq(_ arguments: [String], broker: FakeBroker) -> (status: KQCommands.ExitStatus, errors: String) {
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_BROKERS": "127.0.0.1:\(broker.port)", "KQ_DIR": "/nonexistent/kq-session-timeout"], stdin: MemorySource([]),
      stdout: MemorySink(), stderr: stderr)
    return (KQ.run(arguments: ["kq"] + arguments + ["--broker-timeout", "5s"], context: context), stderr.text)
  }

  @Test("a session timeout the coordinator refuses is one line naming it and the flag, exit 64; JoinGroup carries --session-timeout, else 6 s, as session and rebalance timeout")
  func refusedSessionTimeout() throws {
    let joins = Joins()
    let broker = try refusingCoordinator(joins)
    for (flags, expected) in [(["--session-timeout", "2500ms"], "2500 2500"), ([], "6000 6000")] {
      let run = kq(["consume", "orders", "--group", "g"] + flags, broker: broker)
      #expect(run.status == .usage, "\(run.errors)")
      #expect(
        run.errors == "kq: error: the cluster refuses a session timeout of \(expected.split(separator: " ")[0]) ms for group 'g' "
          + "(INVALID_SESSION_TIMEOUT) (hint: give --session-timeout within the brokers' group.min.session.timeout.ms "
          + "and group.max.session.timeout.ms (Kafka's defaults: 6s and 30m))\n")
      #expect(joins.all.last == expected)
    }
    #expect(joins.all.count == 2)  // refused once each, not retried
  }

  @Test("heartbeats go every third of the session timeout, and a rebalance waits as long as the session")
  func derivedIntervals() {
    let options = GroupMember.Options(sessionTimeout: .seconds(9))
    #expect(options.heartbeatInterval == .seconds(3) && options.rebalanceTimeout == .seconds(9))
    let defaults = GroupMember.Options()
    #expect(defaults.sessionTimeout == .seconds(6) && defaults.heartbeatInterval == .seconds(2))
  }
}
