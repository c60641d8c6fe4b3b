/// An error code in a Kafka response, with Kafka's name for it ("NOT_LEADER_OR_FOLLOWER").
/// Codes kq does not know keep their number ("UNKNOWN_ERROR_CODE_140").
package struct KafkaErrorCode: RawRepresentable, Hashable, Sendable {
  package var rawValue: Int16
  package init(rawValue: Int16) { self.rawValue = rawValue }
  package init(_ rawValue: Int16) { self.rawValue = rawValue }

  package var name: String { Self.table[rawValue]?.name ?? "UNKNOWN_ERROR_CODE_\(rawValue)" }
  /// Whether Kafka's Java client retries a request that failed with this code.
  package var isRetriable: Bool { Self.table[rawValue]?.isRetriable ?? false }
  package var isNone: Bool { rawValue == 0 }
  /// The group's coordinator moved, is starting, or is unknown: find it again and retry.
  package var isCoordinatorError: Bool {
    self == .notCoordinator || self == .coordinatorNotAvailable || self == .coordinatorLoadInProgress
  }
  /// A producer of the same transactional id with a newer epoch took over: this one is a zombie.
  package var isFencing: Bool {
    self == .producerFenced || self == .invalidProducerEpoch || self == .transactionCoordinatorFenced
  }
  /// The member's generation is over: it must join again.
  package var needsRejoin: Bool {
    self == .rebalanceInProgress || self == .illegalGeneration || self == .unknownMemberId || self == .fencedInstanceId
  }

  package static let none = KafkaErrorCode(0)
  package static let unknownServerError = KafkaErrorCode(-1)
  package static let offsetOutOfRange = KafkaErrorCode(1)
  package static let unknownTopicOrPartition = KafkaErrorCode(3)
  package static let leaderNotAvailable = KafkaErrorCode(5)
  package static let notLeaderOrFollower = KafkaErrorCode(6)
  package static let requestTimedOut = KafkaErrorCode(7)
  package static let messageTooLarge = KafkaErrorCode(10)
  package static let networkException = KafkaErrorCode(13)
  package static let coordinatorLoadInProgress = KafkaErrorCode(14)
  package static let coordinatorNotAvailable = KafkaErrorCode(15)
  package static let notCoordinator = KafkaErrorCode(16)
  package static let invalidTopic = KafkaErrorCode(17)
  package static let illegalGeneration = KafkaErrorCode(22)
  package static let inconsistentGroupProtocol = KafkaErrorCode(23)
  package static let unknownMemberId = KafkaErrorCode(25)
  package static let invalidSessionTimeout = KafkaErrorCode(26)
  package static let rebalanceInProgress = KafkaErrorCode(27)
  package static let illegalSaslState = KafkaErrorCode(34)
  package static let unsupportedVersion = KafkaErrorCode(35)
  package static let topicAlreadyExists = KafkaErrorCode(36)
  package static let invalidPartitions = KafkaErrorCode(37)
  package static let invalidReplicationFactor = KafkaErrorCode(38)
  package static let invalidConfig = KafkaErrorCode(40)
  package static let notController = KafkaErrorCode(41)
  package static let outOfOrderSequenceNumber = KafkaErrorCode(45)
  package static let duplicateSequenceNumber = KafkaErrorCode(46)
  package static let invalidProducerEpoch = KafkaErrorCode(47)
  package static let concurrentTransactions = KafkaErrorCode(51)
  package static let transactionCoordinatorFenced = KafkaErrorCode(52)
  package static let producerFenced = KafkaErrorCode(90)
  package static let saslAuthenticationFailed = KafkaErrorCode(58)
  package static let nonEmptyGroup = KafkaErrorCode(68)
  package static let groupIdNotFound = KafkaErrorCode(69)
  package static let fencedLeaderEpoch = KafkaErrorCode(74)
  package static let unknownLeaderEpoch = KafkaErrorCode(75)
  package static let memberIdRequired = KafkaErrorCode(79)
  package static let fencedInstanceId = KafkaErrorCode(82)
}

extension KafkaErrorCode: CustomStringConvertible {
  package var description: String { name }
}
