import KQTestSupport
import Testing

@testable import KQKafka

@Suite("Fetch of many partitions in one request, against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct FetchPartitionsTests {
  private func produce(_ cluster: KafkaCluster, _ value: String, partition: Int32) throws {
    let batch = TestBatch.encode([TestRecord(key: nil, value: value, timestamp: 1_700_000_000_000)])
    _ = try batch.withUnsafeBytes { try cluster.produce($0, to: "orders", partition: partition) }
  }

  @Test("one request per leader answers every partition named: the records of those that have some, nothing of the others")
  func everyPartitionAnswered() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 4)
    try produce(tansu.cluster, "two", partition: 2)
    try produce(tansu.cluster, "three", partition: 3)
    try produce(tansu.cluster, "three again", partition: 3)
    let targets = (0..<4).map { FetchPartitionsRequest.Target(topic: "orders", partition: Int32($0), offset: 0) }
    let results = tansu.cluster.fetch(targets, maxWait: .milliseconds(100), partitionMaxBytes: Array(repeating: 1 << 20, count: 4))
    let answers = try results.map { try $0.get() }
    #expect(answers.map(\.highWatermark) == [0, 0, 1, 2])
    #expect(answers[0].records.isEmpty && answers[1].records.isEmpty)
    #expect(answers[2].records == TestBatch.encode([TestRecord(key: nil, value: "two", timestamp: 1_700_000_000_000)], baseOffset: 0))
    #expect(
      answers[3].records
        == TestBatch.encode([TestRecord(key: nil, value: "three", timestamp: 1_700_000_000_000)], baseOffset: 0)
        + TestBatch.encode([TestRecord(key: nil, value: "three again", timestamp: 1_700_000_000_000)], baseOffset: 1))
    // From where each left off, only partition 3's second record is new.
    let next = [0, 0, 1, 1].enumerated().map { FetchPartitionsRequest.Target(topic: "orders", partition: Int32($0.offset), offset: Int64($0.element)) }
    let again = try tansu.cluster.fetch(next, maxWait: .milliseconds(100), partitionMaxBytes: Array(repeating: 1 << 20, count: 4)).map { try $0.get() }
    #expect(again.map(\.records.isEmpty) == [true, true, true, false])
  }
}
