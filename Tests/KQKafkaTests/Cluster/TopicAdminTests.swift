import KQTestSupport
import Testing

@testable import KQKafka

@Suite("Topic administration against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct TopicAdminTests {
  @Test("a created topic is listed with its partitions and leaders; a deleted one is gone")
  func createListDelete() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 3, replicationFactor: 1)
    try tansu.cluster.createTopic("users", partitions: 1)
    #expect(try tansu.cluster.topicNames() == ["orders", "users"])
    let orders = try tansu.cluster.describeTopic("orders")
    #expect(orders.partitions.map(\.index) == [0, 1, 2])
    #expect(orders.partitions.allSatisfy { $0.leaderId != nil })
    try tansu.cluster.deleteTopic("orders")
    #expect(try tansu.cluster.topicNames() == ["users"])
  }

  @Test("creating a topic that exists is TOPIC_ALREADY_EXISTS, by name")
  func createTwice() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 1)
    #expect {
      try tansu.cluster.createTopic("orders", partitions: 1)
    } throws: { error in
      (error as? KafkaError)?.code == .topicAlreadyExists
        && "\(error)".hasPrefix("topic 'orders': TOPIC_ALREADY_EXISTS")
    }
  }

  /// Retried, it would end as `timedOut` after a minute, wrapping the same code.
  @Test("a missing topic is UNKNOWN_TOPIC_OR_PARTITION at once, not retried until the timeout")
  func missingTopic() throws {
    let tansu = try TansuCluster(timeout: .seconds(60))
    #expect(throws: KafkaError.broker(.unknownTopicOrPartition, subject: .topic("nothing"), message: nil)) {
      try tansu.cluster.describeTopic("nothing")
    }
    #expect {
      try tansu.cluster.deleteTopic("nothing")
    } throws: { error in
      guard case .broker(.unknownTopicOrPartition, .topic("nothing"), _) = error as? KafkaError else { return false }
      return true
    }
  }

  @Test("topic configs given at creation are reported as the topic's own")
  func configs() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("logs", partitions: 1, configs: [("retention.ms", "3600000")])
    let entries = try tansu.cluster.topicConfig("logs")
    #expect(entries.first { $0.name == "retention.ms" }?.value == "3600000")
  }

  @Test("a broker without CreatePartitions says so by name")
  func noCreatePartitions() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 1)
    #expect {
      try tansu.cluster.createPartitions("orders", totalCount: 2)
    } throws: { error in
      guard case .unsupportedApi(.createPartitions, _, nil) = error as? KafkaError else { return false }
      return "\(error)".hasSuffix("does not support CreatePartitions")
    }
  }
}
