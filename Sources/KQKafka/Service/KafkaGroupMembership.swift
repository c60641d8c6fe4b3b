import KQLog

/// Membership of a Kafka consumer group: a `GroupMember` that joined through the coordinator
/// (JoinGroup, SyncGroup) and keeps its generation with heartbeats from a thread of its own;
/// it owns the partitions the group assigned it among those asked for. When another member
/// comes or goes the coordinator starts a rebalance: `needsRejoin` turns true (and
/// `rebalanceDescriptor` readable), and `rejoin()` takes the new assignment. A process killed
/// loses its partitions when its session times out; one that ends leaves at once, so the
/// others rebalance without waiting.
final class KafkaGroupMembership: GroupMembership {
  let member: GroupMember
  let group: GroupName
  /// The partitions the command asked for: the group assigns whole topics, and those not
  /// asked for are left unread.
  let asked: [InputPartition]
  private(set) var owned: [InputPartition]

  init(member: GroupMember, group: GroupName, asked: [InputPartition], assignment: [String: [Int32]]) {
    self.member = member
    self.group = group
    self.asked = asked
    owned = Self.owned(of: asked, in: assignment)
  }

  deinit { leave() }

  func leave() { try? member.leave() }

  var needsRejoin: Bool { member.needsRejoin }

  var rebalanceDescriptor: Int32? { member.rebalanceDescriptor }

  func rejoin() throws(StorageError) {
    let assignment: [String: [Int32]]
    do { assignment = try member.join() } catch { throw error.storageError }
    owned = Self.owned(of: asked, in: assignment)
  }

  static func owned(of asked: [InputPartition], in assignment: [String: [Int32]]) -> [InputPartition] {
    asked.filter { input in
      Int32(exactly: input.partition).map { assignment[input.topic.value]?.contains($0) == true } ?? false
    }
  }
}

/// A membership the service knows of without keeping it alive (the command owns it).
struct WeakMembership {
  weak var membership: KafkaGroupMembership?
  init(_ membership: KafkaGroupMembership) { self.membership = membership }
  var member: GroupMember? { membership?.member }
}
