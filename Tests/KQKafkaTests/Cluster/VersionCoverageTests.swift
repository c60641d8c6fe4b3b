import KQTestSupport
import Testing

@testable import KQKafka

/// Every operation at three sets of versions against Tansu (which offers nearly every version
/// of every API): the newest both sides support, the last classic (non-flexible) versions, and
/// the oldest kq implements. So each encoding kq might send to an older broker is exercised.
@Suite("Every operation at old and new versions against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct VersionCoverageTests {
  enum Versions: String, CaseIterable, Sendable {
    case newest, lastClassic, oldest

    var caps: [ApiKey: Int16] {
      var caps: [ApiKey: Int16] = [:]
      // Tansu 0.6.0 answers InitProducerId below version 3 with UNKNOWN_SERVER_ERROR.
      for api in ApiKey.allCases where api != .apiVersions && api != .initProducerId {
        switch self {
        case .newest: break
        case .lastClassic: caps[api] = max(api.firstFlexibleVersion - 1, api.supportedVersions.lowerBound)
        case .oldest: caps[api] = api.supportedVersions.lowerBound
        }
      }
      return caps
    }
  }

  @Test("topics, produce, fetch, offsets and a group member", arguments: Versions.allCases)
  func everything(versions: Versions) throws {
    var options = KafkaClientOptions()
    options.timeout = .seconds(20)
    options.versionCaps = versions.caps
    let broker = try TansuBroker()
    let cluster = try KafkaCluster(bootstrap: broker.address, options: options)
    let connection = try cluster.anyConnection(deadline: .after(.seconds(5)))
    for (api, cap) in versions.caps where api != .createPartitions && api != .incrementalAlterConfigs {
      #expect(try connection.version(for: api) == cap, "\(api)")
    }

    try cluster.createTopic("orders", partitions: 2, configs: [("retention.ms", "60000")])
    #expect(try cluster.topicNames() == ["orders"])
    #expect(try cluster.topicConfig("orders").first { $0.name == "retention.ms" }?.value == "60000")

    var producer = try cluster.initProducerId()
    var batches = TestBatch.encode([TestRecord(key: "a", value: "1", timestamp: 5)])
      + TestBatch.encode([TestRecord(key: "b", value: "2", timestamp: 6), TestRecord(key: nil, value: nil, timestamp: 7)])
    try batches.withUnsafeMutableBytes { try producer.stamp($0, topic: "orders", partition: 1) }
    #expect(try batches.withUnsafeBytes { try cluster.produce($0, to: "orders", partition: 1) }.baseOffset == 0)
    var expected = batches
    expected[TestBatch.encode([TestRecord(key: "a", value: "1", timestamp: 5)]).count + 7] = 1  // base offset 1
    #expect(try cluster.fetch("orders", partition: 1, from: 0).records == expected)
    #expect(try cluster.offset(of: "orders", partition: 1, at: .earliest)?.offset == 0)

    try cluster.commitOffsets(group: "tools", topic: "orders", offsets: [1: 3])
    #expect(try cluster.committedOffsets(group: "tools", topic: "orders", partitions: [0, 1]) == [1: 3])

    var memberOptions = GroupMember.Options()
    memberOptions.sessionTimeout = .seconds(2)
    memberOptions.rebalanceTimeout = .seconds(2)
    memberOptions.heartbeatInterval = .milliseconds(100)
    let member = try GroupMember(cluster: cluster, group: "loaders", topics: ["orders"], options: memberOptions)
    #expect(try member.join() == ["orders": [0, 1]])
    try member.commit(topic: "orders", offsets: [0: 0, 1: 3])
    #expect(try cluster.describeGroup("loaders").members.count == 1)
    #expect(try cluster.listGroups().map(\.name).contains("loaders"))
    try member.leave()
    try cluster.deleteGroup("loaders")

    try cluster.deleteTopic("orders")
    #expect(try cluster.topicNames() == [])
  }
}
