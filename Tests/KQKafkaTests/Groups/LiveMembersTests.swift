import KQLog
import Testing

@testable import KQKafka

struct LiveMembersTests {
  static func member(_ id: String, assignment: [UInt8]) -> GroupDescription.Member {
    GroupDescription.Member(
      memberId: id, clientId: "kq", clientHost: "/127.0.0.1",
      metadata: ConsumerProtocol.Subscription(topics: ["orders"]).encoded, assignment: assignment)
  }

  static func group(protocolType: String, _ members: [GroupDescription.Member]) -> GroupDescription {
    GroupDescription(
      errorCode: .none, errorMessage: nil, name: "g", state: "Stable", protocolType: protocolType, protocolName: "range",
      members: members)
  }

  @Test("a consumer group's members show their decoded partitions; none sent, or another protocol type, is unknown (nil)")
  func assignmentsDecoded() throws {
    let orders = try TopicName("orders")
    let assigned = Self.member("m-1", assignment: ConsumerProtocol.Assignment(partitions: ["orders": [2, 0]]).encoded)
    let unsent = Self.member("m-2", assignment: [])
    let live = Self.group(protocolType: "consumer", [assigned, unsent]).liveMembers
    #expect(live.state == "Stable")
    #expect(live.members.map(\.partitions) == [[InputPartition(topic: orders, partition: 0), InputPartition(topic: orders, partition: 2)], nil])
    #expect(live.members.first?.host == "/127.0.0.1" && live.members.first?.clientId == "kq")
    #expect(live.owner(of: InputPartition(topic: orders, partition: 2))?.memberId == "m-1")
    #expect(live.owner(of: InputPartition(topic: orders, partition: 1)) == nil)
    #expect(Self.group(protocolType: "connect", [assigned]).liveMembers.members.map(\.partitions) == [nil])
  }
}
