/// The Kafka APIs kq speaks, with the versions it implements. A connection uses, for each, the
/// highest version both kq and the broker support (`ApiVersionTable`).
///
/// The ranges stop below versions that change shape in ways kq does not need: Produce 13,
/// Fetch 13 and OffsetCommit 10 name topics by id only; OffsetFetch 8 batches groups; Metadata
/// 13 adds nothing kq reads; AddPartitionsToTxn 4 is the brokers' batched form.
package enum ApiKey: Int16, CaseIterable, Sendable {
  case produce = 0
  case fetch = 1
  case listOffsets = 2
  case metadata = 3
  case offsetCommit = 8
  case offsetFetch = 9
  case findCoordinator = 10
  case joinGroup = 11
  case heartbeat = 12
  case leaveGroup = 13
  case syncGroup = 14
  case describeGroups = 15
  case listGroups = 16
  case apiVersions = 18
  case createTopics = 19
  case deleteTopics = 20
  case initProducerId = 22
  case addPartitionsToTxn = 24
  case addOffsetsToTxn = 25
  case endTxn = 26
  case txnOffsetCommit = 28
  case describeConfigs = 32
  case createPartitions = 37
  case deleteGroups = 42
  case incrementalAlterConfigs = 44

  /// Kafka's name of the API, as in its message schemas.
  package var name: String {
    switch self {
    case .produce: "Produce"
    case .fetch: "Fetch"
    case .listOffsets: "ListOffsets"
    case .metadata: "Metadata"
    case .offsetCommit: "OffsetCommit"
    case .offsetFetch: "OffsetFetch"
    case .findCoordinator: "FindCoordinator"
    case .joinGroup: "JoinGroup"
    case .heartbeat: "Heartbeat"
    case .leaveGroup: "LeaveGroup"
    case .syncGroup: "SyncGroup"
    case .describeGroups: "DescribeGroups"
    case .listGroups: "ListGroups"
    case .apiVersions: "ApiVersions"
    case .createTopics: "CreateTopics"
    case .deleteTopics: "DeleteTopics"
    case .initProducerId: "InitProducerId"
    case .addPartitionsToTxn: "AddPartitionsToTxn"
    case .addOffsetsToTxn: "AddOffsetsToTxn"
    case .endTxn: "EndTxn"
    case .txnOffsetCommit: "TxnOffsetCommit"
    case .describeConfigs: "DescribeConfigs"
    case .createPartitions: "CreatePartitions"
    case .deleteGroups: "DeleteGroups"
    case .incrementalAlterConfigs: "IncrementalAlterConfigs"
    }
  }

  /// The versions kq can encode and decode.
  package var supportedVersions: ClosedRange<Int16> {
    switch self {
    case .produce: 3...12
    case .fetch: 4...12
    case .listOffsets: 1...10
    case .metadata: 1...12
    case .offsetCommit: 2...9
    case .offsetFetch: 1...7
    case .findCoordinator: 1...6
    case .joinGroup: 1...9
    case .heartbeat: 1...4
    case .leaveGroup: 1...5
    case .syncGroup: 1...5
    case .describeGroups: 1...6
    case .listGroups: 1...5
    case .apiVersions: 0...4
    case .createTopics: 2...7
    case .deleteTopics: 1...6
    case .initProducerId: 0...5
    case .addPartitionsToTxn: 0...3  // 4 and later batch transactions, for brokers only
    case .addOffsetsToTxn: 0...4
    case .endTxn: 0...4
    case .txnOffsetCommit: 0...3
    case .describeConfigs: 1...4
    case .createPartitions: 0...3
    case .deleteGroups: 0...2
    case .incrementalAlterConfigs: 0...1
    }
  }

  /// The first version that uses compact strings, arrays and tagged fields.
  package var firstFlexibleVersion: Int16 {
    switch self {
    case .produce: 9
    case .fetch: 12
    case .listOffsets: 6
    case .metadata: 9
    case .offsetCommit: 8
    case .offsetFetch: 6
    case .findCoordinator: 3
    case .joinGroup: 6
    case .heartbeat: 4
    case .leaveGroup: 4
    case .syncGroup: 4
    case .describeGroups: 5
    case .listGroups: 3
    case .apiVersions: 3
    case .createTopics: 5
    case .deleteTopics: 4
    case .initProducerId: 2
    case .addPartitionsToTxn: 3
    case .addOffsetsToTxn: 3
    case .endTxn: 3
    case .txnOffsetCommit: 3
    case .describeConfigs: 4
    case .createPartitions: 2
    case .deleteGroups: 2
    case .incrementalAlterConfigs: 1
    }
  }

  package func isFlexible(_ version: Int16) -> Bool { version >= firstFlexibleVersion }
}
