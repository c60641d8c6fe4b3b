import KQLog
import KQTestSupport
import Testing

@testable import KQKafka

/// Transactions against Tansu at the client level: commit, abort, and fencing by a second
/// producer of the same transactional id.
@Suite("transactional producer against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct TransactionalProducerTests {
  static func values(_ cluster: KafkaCluster, _ topic: String) throws -> [String] {
    let reader = try KafkaLogService(brokers: cluster.bootstrap.map(\.description).joined(separator: ","), timeoutMillis: 10_000)
      .openReader(try TopicName(topic), partition: 0)
    var values: [String] = []
    while let batch = try reader.nextBatch() {
      try batch.forEachRecord { record in
        values.append(String(decoding: record.value.map(Array.init) ?? [], as: UTF8.self))
        return true
      }
    }
    return values
  }

  static func produce(_ producer: TransactionalProducer, _ value: String) throws {
    var batch = TestBatch.encode([TestRecord(key: nil, value: value, timestamp: 1)])
    _ = try batch.withUnsafeMutableBytes { try producer.produce($0, topic: "out", partition: 0) }
  }

  @Test("committed records are read, aborted ones not; the offsets commit with the transaction")
  func commitAndAbort() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("out", partitions: 1)
    try tansu.cluster.createTopic("in", partitions: 1)
    let producer = try TransactionalProducer(cluster: tansu.cluster, transactionalId: "t1")
    try Self.produce(producer, "a")
    try producer.commitOffsets(group: "g", generationId: -1, memberId: "", topic: "in", offsets: [0: 7])
    try producer.commit()
    try Self.produce(producer, "b")
    try producer.commitOffsets(group: "g", generationId: -1, memberId: "", topic: "in", offsets: [0: 9])
    try producer.abort()
    try Self.produce(producer, "c")
    try producer.commit()
    #expect(try Self.values(tansu.cluster, "out") == ["a", "c"])
    #expect(try tansu.cluster.committedOffsets(group: "g", topic: "in", partitions: [0]) == [0: 7])
  }

  @Test("a second producer of the transactional id fences the first and aborts its open transaction")
  func fencing() throws {
    // The zombie's client gives up after 3 s: Tansu 0.6.0 closes the connection on a fenced
    // producer's request (its log: "err=Storage(Api(ProducerFenced))") instead of answering
    // PRODUCER_FENCED, so the client sees a closed connection, retried until its timeout.
    let tansu = try TansuCluster(timeout: .seconds(3))
    try tansu.cluster.createTopic("out", partitions: 1)
    let zombie = try TransactionalProducer(cluster: tansu.cluster, transactionalId: "t1")
    try Self.produce(zombie, "zombie")
    let successor = try TransactionalProducer(cluster: try tansu.client(timeout: .seconds(15)), transactionalId: "t1")
    #expect(successor.identity.id == zombie.identity.id && successor.identity.epoch > zombie.identity.epoch)
    let refused = Result { try zombie.commit() }
    switch refused {
    case .success: Issue.record("the fenced producer committed")
    case .failure(let error):
      switch error as? KafkaError {
      case .broker(let code, _, _)?: #expect(code.isFencing, "\(error)")  // Kafka's answer
      case .timedOut(_, _, .closedByBroker)?: break  // Tansu's
      default: Issue.record("unexpected: \(error)")
      }
    }
    try Self.produce(successor, "successor")
    try successor.commit()
    #expect(try Self.values(try tansu.client(timeout: .seconds(15)), "out") == ["successor"])
  }
}
