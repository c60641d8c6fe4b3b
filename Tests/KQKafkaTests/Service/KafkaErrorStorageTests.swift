import KQLog
import Testing

@testable import KQKafka

/// What the commands see of a cluster's failures: a missing topic or partition as on a data
/// directory, everything else one line of a kind that picks kq's exit status.
@Suite("KafkaError as StorageError")
struct KafkaErrorStorageTests {
  static let broker = BrokerAddress(host: "127.0.0.1", port: 9092)

  @Test("a topic the cluster does not have is topicNotFound; one that exists, topicAlreadyExists")
  func topics() {
    #expect(KafkaError.broker(.unknownTopicOrPartition, subject: .topic("t"), message: nil).storageError == .topicNotFound("t"))
    #expect(KafkaError.broker(.topicAlreadyExists, subject: .topic("t"), message: nil).storageError == .topicAlreadyExists("t"))
    #expect(
      KafkaError.noSuchPartition(topic: "t", partition: 5, partitionCount: 2).storageError
        == .partitionNotFound(topic: "t", partition: 5, partitionCount: 2))
  }

  @Test("each failure keeps KafkaError's line and gets its kind", arguments: [
    (KafkaError.connectionRefused(broker), ClusterFailure.unavailable),
    (.timedOut(operation: "listing topics", after: .seconds(1), last: .connectionRefused(broker)), .unavailable),
    (.saslRequired(broker), .notAuthorized),
    (.tlsRequired(broker), .notAuthorized),
    (.unsupportedApi(.createPartitions, broker, brokerVersions: nil), .unsupported),
    (.broker(.messageTooLarge, subject: .partition(topic: "t", partition: 0), message: nil), .recordTooLarge),
    (.broker(.invalidConfig, subject: .topic("t"), message: "bad"), .refused),
    (.deliveryUnknown(topic: "t", partition: 0, cause: .closedByBroker(broker)), .deliveryUnknown),
    (.broker(KafkaErrorCode(29), subject: .topic("t"), message: nil), .notAuthorized),
  ])
  func kinds(error: KafkaError, failure: ClusterFailure) {
    #expect(error.storageError == .cluster(reason: error.description, failure: failure))
  }
}
