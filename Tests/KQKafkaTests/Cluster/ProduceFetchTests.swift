import KQTestSupport
import Testing

@testable import KQKafka

@Suite("Produce and fetch against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct ProduceFetchTests {
  let t: Int64 = 1_700_000_000_000

  private func records(_ range: Range<Int>, at time: Int64? = nil) -> [TestRecord] {
    range.map { TestRecord(key: "k\($0)", value: "value \($0)", timestamp: (time ?? t) + Int64($0)) }
  }

  private func produce(_ cluster: KafkaCluster, _ batches: [[UInt8]], topic: String = "orders", partition: Int32 = 0)
    throws -> KafkaCluster.ProduceResult
  {
    let bytes = batches.flatMap { $0 }
    return try bytes.withUnsafeBytes { try cluster.produce($0, to: topic, partition: partition) }
  }

  @Test("batches produced come back from fetch byte for byte, at the offsets produce returned")
  func roundTrip() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 2)
    let first = TestBatch.encode(records(0..<3))
    let second = TestBatch.encode(records(3..<4))
    let third = TestBatch.encode([TestRecord(key: nil, value: nil, timestamp: t, headers: [("h", nil)])])
    #expect(try produce(tansu.cluster, [first, second]).baseOffset == 0)
    #expect(try produce(tansu.cluster, [third]).baseOffset == 4)
    let fetched = try tansu.cluster.fetch("orders", partition: 0, from: 0)
    #expect(fetched.highWatermark == 5)
    #expect(fetched.records == TestBatch.encode(records(0..<3), baseOffset: 0) + TestBatch.encode(records(3..<4), baseOffset: 3) + TestBatch.encode([TestRecord(key: nil, value: nil, timestamp: t, headers: [("h", nil)])], baseOffset: 4))
    #expect(try tansu.cluster.fetch("orders", partition: 1, from: 0).records.isEmpty)
  }

  /// Past the end Kafka answers OFFSET_OUT_OF_RANGE (KafkaSemanticsTests); Tansu 0.6.0 answers
  /// nothing.
  @Test("a fetch at the end returns nothing and the high watermark")
  func endOfLog() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 1)
    _ = try produce(tansu.cluster, [TestBatch.encode(records(0..<2))])
    let atEnd = try tansu.cluster.fetch("orders", partition: 0, from: 2)
    #expect(atEnd.records.isEmpty && atEnd.highWatermark == 2 && atEnd.logStartOffset == 0)
  }

  @Test("a long poll is held by the broker past the request timeout, and returns records produced meanwhile")
  func longPoll() throws {
    let tansu = try TansuCluster(requestTimeout: .milliseconds(200))
    try tansu.cluster.createTopic("orders", partitions: 1)
    // Nothing to read: the broker holds the fetch for its wait, longer than the request
    // timeout, and the client waits for it instead of giving up.
    #expect(try tansu.cluster.fetch("orders", partition: 0, from: 0, maxWait: .milliseconds(600)).records.isEmpty)
    let batch = TestBatch.encode(records(0..<1))
    let box = ResultBox()
    let handed = Handed(tansu.cluster)
    let thread = try TestThread {
      box.set(
        Result {
          for _ in 0..<10 {  // until the records arrive, in bounded rounds
            let fetched = try handed.value.fetch("orders", partition: 0, from: 0, maxWait: .seconds(1))
            if !fetched.records.isEmpty { return fetched }
          }
          return try handed.value.fetch("orders", partition: 0, from: 0)
        })
    }
    _ = try produce(tansu.client(), [batch])
    thread.join()
    #expect(try box.get().records == batch)
  }

  @Test("missing topics and partitions are named at once")
  func missing() throws {
    let tansu = try TansuCluster(timeout: .seconds(60))
    try tansu.cluster.createTopic("orders", partitions: 1)
    #expect(throws: KafkaError.broker(.unknownTopicOrPartition, subject: .topic("nothing"), message: nil)) {
      _ = try produce(tansu.cluster, [TestBatch.encode(records(0..<1))], topic: "nothing")
    }
    #expect(throws: KafkaError.noSuchPartition(topic: "orders", partition: 3, partitionCount: 1)) {
      try tansu.cluster.fetch("orders", partition: 3, from: 0)
    }
  }

  /// Tansu 0.6.0 looks times up by when it stored the records, not by their timestamps, and
  /// answers 'latest' with the last batch's base offset + 1: records of past timestamps in
  /// single-record batches give Kafka's answers here. KafkaSemanticsTests checks the rest of
  /// Kafka's time lookup.
  @Test("offsets by position, and by a time before every record")
  func offsetsByTime() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 1)
    for i in 0..<3 {
      _ = try produce(tansu.cluster, [TestBatch.encode([TestRecord(key: nil, value: "\(i)", timestamp: t + Int64(i) * 1000)])])
    }
    let cluster = tansu.cluster
    #expect(try cluster.offset(of: "orders", partition: 0, at: .earliest)?.offset == 0)
    #expect(try cluster.offset(of: "orders", partition: 0, at: .latest)?.offset == 3)
    #expect(try cluster.offset(of: "orders", partition: 0, at: .timestamp(t - 1))?.offset == 0)
    #expect(try cluster.offsets(of: "orders", partitions: [0], at: .earliest).mapValues { $0?.offset } == [0: 0])
  }

  @Test("an idempotent producer's batch sent twice is stored once")
  func idempotentDuplicate() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 1)
    var producer = try tansu.cluster.initProducerId()
    var first = TestBatch.encode(records(0..<2))
    var second = TestBatch.encode(records(2..<3))
    try first.withUnsafeMutableBytes { try producer.stamp($0, topic: "orders", partition: 0) }
    try second.withUnsafeMutableBytes { try producer.stamp($0, topic: "orders", partition: 0) }
    #expect(producer.nextSequence(topic: "orders", partition: 0) == 3)
    #expect(try produce(tansu.cluster, [first]).baseOffset == 0)
    let again = Result { try produce(tansu.cluster, [first]) }
    #expect(try produce(tansu.cluster, [second]).baseOffset == 2)
    let stored = try TestBatch.decode(tansu.cluster.fetch("orders", partition: 0, from: 0).records)
    #expect(stored.map(\.offset) == [0, 1, 2])
    #expect(stored.map(\.record) == records(0..<3))
    switch again {
    case .success(let result): #expect(result.baseOffset == 0)
    case .failure(let error): #expect((error as? KafkaError)?.code == .duplicateSequenceNumber)
    }
  }
}

