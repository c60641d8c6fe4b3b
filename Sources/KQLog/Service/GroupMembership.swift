/// This process's membership of a consumer group: the partitions it owns, which no other
/// live member of the group reads meanwhile. Locally each owned partition is a lease file
/// locked while the process lives; on a cluster it is the group coordinator's assignment
/// (JoinGroup, SyncGroup, heartbeats). A member killed loses its partitions to the others.
package protocol GroupMembership: AnyObject {
  var group: GroupName { get }
  /// The partitions this member owns, in the order they were asked for.
  var owned: [InputPartition] { get }
  /// Gives every partition up (also done when the membership is released).
  func leave()
  /// Whether the group is moving partitions between its members (a rebalance on a
  /// cluster): commit what was processed, then `rejoin()`. Never true locally, where a lease
  /// is held for the whole run.
  var needsRejoin: Bool { get }
  /// A descriptor that becomes readable when `needsRejoin` turns true, so a waiting follower
  /// wakes for it; nil where the assignment never changes during a run.
  var rebalanceDescriptor: Int32? { get }
  /// Joins the group again after a rebalance began; `owned` is then the new assignment.
  func rejoin() throws(StorageError)
}

extension GroupMembership {
  package var needsRejoin: Bool { false }
  package var rebalanceDescriptor: Int32? { nil }
  package func rejoin() throws(StorageError) {}
}

/// Who owns a partition of a group, for people: "pid 4242" locally, a member and its host on
/// a cluster.
package struct PartitionHolder: Equatable, Sendable, CustomStringConvertible {
  package var description: String
  /// The holder's process id, when it runs on this machine (-1: a live holder that left no
  /// readable pid).
  package var processID: Int32?

  package init(description: String, processID: Int32? = nil) {
    self.description = description
    self.processID = processID
  }

  package static func process(_ pid: Int32) -> PartitionHolder { PartitionHolder(description: "pid \(pid)", processID: pid) }
}
