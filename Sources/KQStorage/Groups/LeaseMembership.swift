import KQLog

/// A group membership over lease files: the partitions whose `PartitionLease` this process
/// took. The leases go when it leaves, is released, or the process dies.
final class LeaseMembership: GroupMembership {
  let group: GroupName
  private var leases: [PartitionLease]

  init(group: GroupName, leases: [PartitionLease]) {
    self.group = group
    self.leases = leases
  }

  var owned: [InputPartition] { leases.map { InputPartition(topic: $0.topic, partition: $0.partition) } }

  func leave() {
    for lease in leases { lease.release() }
    leases = []
  }
}
