import Foundation
import KQLog
import Testing

@testable import KQKafka

/// `kq pipe --brokers`'s output when Kafka's coordinator refuses a TxnOffsetCommit because the
/// group's generation ended (the process missed a rebalance): the transaction is aborted, never
/// committed, and the member must join again. Tansu 0.6.0 checks no generation there, so a
/// scripted broker plays Kafka.
@Suite("exactly-once output when the group's generation ended")
struct GenerationEndedTests {
  typealias Log = ScriptedBroker.Log

  /// Group and transaction coordinator of topics "in" and "out" (one partition each): member
  /// "m-1" leads generation 1, the group has committed offset 5 of "in", and every
  /// TxnOffsetCommit is answered ILLEGAL_GENERATION.
  private func coordinator(_ log: Log) throws -> FakeBroker {
    let port = ScriptedBroker.Box()
    let keys = ApiKey.allCases.filter { $0 != .describeConfigs }
    let broker = try ScriptedBroker.start(topics: ["in": 1, "out": 1], listing: keys) { peer, request in
      var r = request.body
      switch request.api {
      case .findCoordinator:
        ScriptedBroker.answerFindCoordinator(peer, request, port: port.value)
      case .joinGroup:
        ScriptedBroker.answerJoinGroup(peer, request)
      case .syncGroup:
        ScriptedBroker.answerSyncGroup(peer, request)
      case .heartbeat, .addOffsetsToTxn:
        log.add(request.api == .heartbeat ? "heartbeat" : "add offsets")
        ScriptedBroker.answerErrorCode(peer, request)
      case .offsetFetch:
        peer.answer(request) { w in
          w.int32(0)
          w.arrayCount(1)
          w.string("in")
          w.arrayCount(1)
          w.int32(0)
          w.int64(5)
          w.int32(-1)
          w.nullableString(nil)
          w.int16(0)
          w.taggedFields()
          w.taggedFields()
          w.int16(0)
          w.taggedFields()
        }
      case .initProducerId:
        log.add("init producer id")
        peer.answer(request) { w in
          w.int32(0)
          w.int16(0)
          w.int64(4000)
          w.int16(0)
          w.taggedFields()
        }
      case .addPartitionsToTxn, .txnOffsetCommit:
        let commit = request.api == .txnOffsetCommit
        log.add(commit ? "txn offset commit" : "add partitions")
        ScriptedBroker.answerPartitionZero(peer, request, topic: commit ? "in" : "out", commit ? 22 : 0)  // ILLEGAL_GENERATION
      case .produce:
        log.add("produce")
        peer.answer(request) { w in
          w.arrayCount(1)
          w.string("out")
          w.arrayCount(1)
          w.int32(0)
          w.int16(0)
          w.int64(0)
          w.int64(-1)
          w.int64(0)
          w.arrayCount(0)
          w.nullableString(nil)
          w.taggedFields()
          w.taggedFields()
          w.int32(0)
          w.taggedFields()
        }
      case .endTxn:
        _ = try? r.string()
        _ = try? r.int64()
        _ = try? r.int16()
        log.add((try? r.bool()) == true ? "end: commit" : "end: abort")
        ScriptedBroker.answerErrorCode(peer, request)
      case .leaveGroup:
        ScriptedBroker.answerLeaveGroup(peer, request)
      default:
        return
      }
    }
    port.value = Int32(broker.port)
    return broker
  }

  /// The coordinator, a member of group "g" holding partition 0 of "in" (`input`), and its
  /// exactly-once output to "out" (the caller closes it; the broker must outlive it).
  private func joinedOutput(_ log: Log) throws
    -> (broker: FakeBroker, input: InputPartition, membership: any GroupMembership, output: any ExactlyOnceOutput)
  {
    let broker = try coordinator(log)
    let service = try KafkaLogService(brokers: "127.0.0.1:\(broker.port)", timeoutMillis: 5000)
    let group = try GroupName("g")
    let input = InputPartition(topic: try TopicName("in"), partition: 0)
    let membership = try service.join(group: group, partitions: [input])
    let output = try service.openExactlyOnceOutput(group: group, topic: try TopicName("out"), config: TopicConfig())
    return (broker, input, membership, output)
  }

  @Test("a TxnOffsetCommit refused with ILLEGAL_GENERATION aborts the transaction with its output, ends the member's generation, and says so")
  func refusedOffsetsAbortTheOutput() throws {
    let log = Log()
    let (broker, input, membership, output) = try joinedOutput(log)
    defer {
      output.close()
      withExtendedLifetime(broker) {}
    }
    #expect(membership.owned == [input] && !membership.needsRejoin)
    #expect(try output.resume([input]) { _ in 0 } == [input: InputResume(offset: 5, replays: [])])

    output.begin(input, range: 5..<7)
    let value: [UInt8] = Array("VALUE-5".utf8)
    let noHeaders: [UInt8] = [0]
    value.withUnsafeBytes { value in
      noHeaders.withUnsafeBytes { headers in
        output.add(key: nil, value: value, headers: headers, timestamp: 1_700_000_000_000, partition: 0)
      }
    }
    try output.end()
    #expect(throws: StorageError.self) { try output.commit() }
    do { try output.commit() } catch { Issue.record("a second commit has nothing left to commit: \(error)") }
    #expect(membership.needsRejoin)
    let steps = log.all.filter { $0 != "heartbeat" }
    #expect(steps == ["init producer id", "add partitions", "produce", "add offsets", "txn offset commit", "end: abort"])
    #expect(!output.hasUncommittedRanges)
  }

  @Test("the refusal is ClusterFailure.generationEnded, naming the input ranges aborted")
  func refusalNamesTheRanges() throws {
    let log = Log()
    let (broker, input, membership, output) = try joinedOutput(log)
    defer {
      output.close()
      withExtendedLifetime(broker) {}
    }
    _ = try output.resume([input]) { _ in 0 }
    output.begin(input, range: 5..<9)
    try output.end()
    let refusal = #expect(throws: StorageError.self) { try output.commit() }
    guard case .cluster(let reason, let failure)? = refusal else {
      Issue.record("not a cluster failure: \(String(describing: refusal))")
      return
    }
    #expect(failure == .generationEnded)
    #expect(reason.contains("in-0 up to offset 9") && reason.contains("ILLEGAL_GENERATION"), "\(reason)")
    withExtendedLifetime(membership) {}
  }
}
