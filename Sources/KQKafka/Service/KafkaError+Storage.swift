import KQLog

extension KafkaError {
  /// The `StorageError` the commands word and give a status: a missing topic or partition as
  /// locally, anything else a one-line `cluster` failure of the kind that picks the status.
  package var storageError: StorageError {
    switch self {
    case .broker(let code, .topic(let topic), _) where code == .unknownTopicOrPartition:
      return .topicNotFound(topic)
    case .broker(let code, .topic(let topic), _) where code == .topicAlreadyExists:
      return .topicAlreadyExists(topic)
    case .noSuchPartition(let topic, let partition, let count):
      return .partitionNotFound(topic: topic, partition: Int(partition), partitionCount: count)
    default:
      return .cluster(reason: description, failure: failure)
    }
  }

  private var failure: ClusterFailure {
    switch self {
    case .invalidAddress: .refused
    case .tlsRequired, .closedBeforeHandshake, .saslRequired: .notAuthorized
    case .unsupportedApi: .unsupported
    case .deliveryUnknown: .deliveryUnknown
    case .interrupted: .interrupted
    case .timedOut(_, _, let last?): last.failure == .refused ? .refused : .unavailable
    case .broker(let code, _, _):
      switch code {
      case .messageTooLarge, KafkaErrorCode(18): .recordTooLarge  // RECORD_LIST_TOO_LARGE
      case .unsupportedVersion: .unsupported
      case .invalidTopic, .invalidPartitions, .invalidReplicationFactor, .invalidConfig, .topicAlreadyExists,
        KafkaErrorCode(87):  // INVALID_RECORD
        .refused
      case KafkaErrorCode(29), KafkaErrorCode(30), KafkaErrorCode(31), .saslAuthenticationFailed:
        .notAuthorized  // TOPIC_, GROUP_, CLUSTER_AUTHORIZATION_FAILED
      default: code.isRetriable ? .unavailable : .other
      }
    case .invalidArgument: .refused
    case .malformedResponse, .responseTooLarge, .notKafka, .unencodableRequest: .other
    default: .unavailable
    }
  }
}
