import Foundation
import Testing

@testable import KQKafka

/// Kafka's answers that Tansu 0.6.0 does not give, played by a scripted broker.
@Suite("Kafka semantics against a scripted broker")
struct KafkaSemanticsTests {
  private func client(_ broker: FakeBroker, timeout: Duration = .seconds(5)) throws -> KafkaCluster {
    var options = KafkaClientOptions()
    options.timeout = timeout
    options.retryBackoff = .milliseconds(1)
    return try KafkaCluster(bootstrap: [broker.address], options: options)
  }

  /// Records what the broker was asked, across its threads.
  typealias Log = ScriptedBroker.Log

  @Test("a time lookup sends the time and maps Kafka's -1 answer to nil; earliest and latest send -2 and -1")
  func offsetsByTime() throws {
    let log = Log()
    let broker = try ScriptedBroker.start(topics: ["orders": 1]) { peer, request in
      guard request.api == .listOffsets else { return }
      var r = request.body
      _ = try? r.int32()
      _ = try? r.int8()
      _ = try? r.arrayCount()
      _ = try? r.string()
      _ = try? r.arrayCount()
      let partition = (try? r.int32()) ?? -1
      _ = try? r.int32()
      let timestamp = (try? r.int64()) ?? 0
      log.add("\(timestamp)")
      let (offset, time): (Int64, Int64) =
        switch timestamp {
        case -2: (0, -1)
        case -1: (7, -1)
        case ...1000: (5, 1000)
        default: (-1, -1)
        }
      peer.answer(request) { w in
        w.int32(0)
        w.arrayCount(1)
        w.string("orders")
        w.arrayCount(1)
        w.int32(partition)
        w.int16(0)
        w.int64(time)
        w.int64(offset)
        w.int32(0)
        w.taggedFields()
        w.taggedFields()
        w.taggedFields()
      }
    }
    let cluster = try client(broker)
    #expect(try cluster.offset(of: "orders", partition: 0, at: .timestamp(500)) == .init(offset: 5, timestamp: 1000))
    #expect(try cluster.offset(of: "orders", partition: 0, at: .timestamp(2000)) == nil)
    #expect(try cluster.offset(of: "orders", partition: 0, at: .earliest) == .init(offset: 0, timestamp: nil))
    #expect(try cluster.offset(of: "orders", partition: 0, at: .latest) == .init(offset: 7, timestamp: nil))
    #expect(log.all == ["500", "2000", "-2", "-1"])
  }

  @Test("a fetch answered OFFSET_OUT_OF_RANGE is named and not retried")
  func fetchOutOfRange() throws {
    let log = Log()
    let broker = try ScriptedBroker.start(topics: ["orders": 1]) { peer, request in
      guard request.api == .fetch else { return }
      log.add("fetch")
      peer.answer(request) { w in
        w.int32(0)
        w.int16(0)
        w.int32(0)
        w.arrayCount(1)
        w.string("orders")
        w.arrayCount(1)
        w.int32(0)
        w.int16(1)  // OFFSET_OUT_OF_RANGE
        w.int64(3)
        w.int64(3)
        w.int64(0)
        w.nullArray()
        w.int32(-1)
        w.nullableBytes(nil)
        w.taggedFields()
        w.taggedFields()
        w.taggedFields()
      }
    }
    #expect(throws: KafkaError.broker(.offsetOutOfRange, subject: .partition(topic: "orders", partition: 0), message: nil)) {
      try client(broker).fetch("orders", partition: 0, from: 50)
    }
    #expect(log.all == ["fetch"])
  }

  @Test("CreatePartitions carries the topic and its new total")
  func createPartitions() throws {
    let log = Log()
    let broker = try ScriptedBroker.start(topics: ["orders": 1]) { peer, request in
      guard request.api == .createPartitions else { return }
      var r = request.body
      _ = try? r.arrayCount()
      log.add("\((try? r.string()) ?? "?") \((try? r.int32()) ?? -1)")
      peer.answer(request) { w in
        w.int32(0)
        w.arrayCount(1)
        w.string("orders")
        w.int16(0)
        w.nullableString(nil)
        w.taggedFields()
        w.taggedFields()
      }
    }
    try client(broker).createPartitions("orders", totalCount: 4)
    #expect(log.all == ["orders 4"])
  }

  /// Answers Produce: `first` for the first request, success at offset 10 after.
  private func produceBroker(_ log: Log, first: @escaping @Sendable (FakeBroker.Peer, FakeBroker.Peer.Request) -> Void)
    throws -> FakeBroker
  {
    try ScriptedBroker.start(topics: ["orders": 1]) { peer, request in
      guard request.api == .produce else { return }
      log.add("produce")
      if log.all.filter({ $0 == "produce" }).count == 1 { return first(peer, request) }
      peer.answer(request) { w in
        w.arrayCount(1)
        w.string("orders")
        w.arrayCount(1)
        w.int32(0)
        w.int16(0)
        w.int64(10)
        w.int64(-1)
        w.int64(0)
        w.arrayCount(0)
        w.nullableString(nil)
        w.taggedFields()
        w.taggedFields()
        w.int32(0)
        w.taggedFields()
      }
    }
  }

  @Test("NOT_LEADER_OR_FOLLOWER is retried after asking metadata again")
  func notLeaderIsRetried() throws {
    let log = Log()
    let broker = try produceBroker(log) { peer, request in
      peer.answer(request) { w in
        w.arrayCount(1)
        w.string("orders")
        w.arrayCount(1)
        w.int32(0)
        w.int16(6)  // NOT_LEADER_OR_FOLLOWER
        w.int64(-1)
        w.int64(-1)
        w.int64(-1)
        w.arrayCount(0)
        w.nullableString(nil)
        w.taggedFields()
        w.taggedFields()
        w.int32(0)
        w.taggedFields()
      }
    }
    let batch = TestBatch.encode([TestRecord(key: "k", value: "v", timestamp: 1)])
    let result = try batch.withUnsafeBytes { try client(broker).produce($0, to: "orders", partition: 0) }
    #expect(result.baseOffset == 10)
    #expect(log.all == ["produce", "produce"])
  }

  @Test("a produce whose answer is lost is not sent again without a producer id: the batch may be stored")
  func lostAnswerIsNotRetried() throws {
    let log = Log()
    let broker = try produceBroker(log) { peer, _ in shutdown(peer.fd, Int32(SHUT_RDWR)) }
    let batch = TestBatch.encode([TestRecord(key: "k", value: "v", timestamp: 1)])
    #expect {
      try batch.withUnsafeBytes { try client(broker).produce($0, to: "orders", partition: 0) }
    } throws: { error in
      guard case .deliveryUnknown("orders", 0, .closedByBroker) = error as? KafkaError else { return false }
      return true
    }
    #expect(log.all == ["produce"])
  }

  @Test("an idempotent producer's batch whose answer is lost is sent again")
  func lostAnswerIsRetriedWhenIdempotent() throws {
    let log = Log()
    let broker = try produceBroker(log) { peer, _ in shutdown(peer.fd, Int32(SHUT_RDWR)) }
    var batch = TestBatch.encode([TestRecord(key: "k", value: "v", timestamp: 1)])
    var producer = IdempotentProducer(identity: ProducerIdentity(id: 4, epoch: 0))
    try batch.withUnsafeMutableBytes { try producer.stamp($0, topic: "orders", partition: 0) }
    let result = try batch.withUnsafeBytes { try client(broker).produce($0, to: "orders", partition: 0) }
    #expect(result.baseOffset == 10)
    #expect(log.all == ["produce", "produce"])
  }
}
