import KQLog

/// Membership of a Kafka consumer group: a `GroupMember` that joined through the coordinator
/// (JoinGroup, SyncGroup) and keeps its generation with heartbeats from a thread of its own;
/// it owns the partitions the group assigned it. A process killed loses them when its session
/// times out; one that ends leaves at once, so the others rebalance without waiting.
final class KafkaGroupMembership: GroupMembership {
  let member: GroupMember
  let group: GroupName
  let owned: [InputPartition]

  init(member: GroupMember, group: GroupName, owned: [InputPartition]) {
    self.member = member
    self.group = group
    self.owned = owned
  }

  deinit { leave() }

  func leave() { try? member.leave() }
}

/// A membership the service knows of without keeping it alive (the command owns it).
struct WeakMembership {
  weak var membership: KafkaGroupMembership?
  init(_ membership: KafkaGroupMembership) { self.membership = membership }
  var member: GroupMember? { membership?.member }
}
