/// A group's live members as a cluster's coordinator describes them (DescribeGroups): its
/// state ("Stable", "PreparingRebalance", "Empty", "Dead"...) and each member with what it
/// was assigned.
package struct GroupMembers: Equatable, Sendable {
  package struct Member: Equatable, Sendable {
    package var memberId: String
    package var clientId: String
    package var host: String
    /// The partitions the group assigned it; nil when the coordinator does not say (Tansu
    /// 0.6.0 leaves assignments out) or says it in a protocol kq does not read.
    package var partitions: [InputPartition]?

    package init(memberId: String, clientId: String, host: String, partitions: [InputPartition]?) {
      self.memberId = memberId
      self.clientId = clientId
      self.host = host
      self.partitions = partitions
    }
  }

  package var state: String
  package var members: [Member]

  package init(state: String, members: [Member]) {
    self.state = state
    self.members = members
  }

  /// The member assigned `partition`, when one was and the coordinator said so.
  package func owner(of partition: InputPartition) -> Member? {
    members.first { $0.partitions?.contains(partition) == true }
  }
}
