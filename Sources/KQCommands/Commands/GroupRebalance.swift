import KQLog

/// A rebalance met by `consume --group` on a cluster (another member came or went), followed
/// as Kafka's consumers follow it: the caller commits what its reader took (refused when the
/// generation has already ended: those records go to the next owner again, at least once),
/// then `rejoin` takes the new assignment. A partition kept whose group offset is still what
/// this member last committed (or found) goes on from where its cursor is; any other partition
/// assigned starts at the group's committed offset; partitions taken away are dropped, and
/// nothing of theirs is committed afterwards.
final class GroupRebalance {
  let membership: any GroupMembership
  let service: any LogService
  let group: GroupName
  let topic: TopicName
  let follow: Bool
  let commits: CommitTracker
  /// A cursor over a partition newly assigned, at the group's commit (nil: none).
  let openCursor: (_ partition: Int, _ committed: Int64?) throws -> Consumer.Cursor

  init(
    membership: any GroupMembership, service: any LogService, group: GroupName, topic: TopicName, follow: Bool,
    commits: CommitTracker, openCursor: @escaping (Int, Int64?) throws -> Consumer.Cursor
  ) {
    self.membership = membership
    self.service = service
    self.group = group
    self.topic = topic
    self.follow = follow
    self.commits = commits
    self.openCursor = openCursor
  }

  /// Whether the group is moving partitions: commit, then `rejoin`.
  var isDue: Bool { membership.needsRejoin }

  /// Readable while a rebalance is due, for a follower's wait.
  var descriptor: Int32? { membership.rebalanceDescriptor }

  struct Outcome {
    var cursors: [Consumer.Cursor]
    var watcher: FollowWatcher?
    /// Partitions whose records not yet delivered are another reader's now, or read again
    /// from the group's commit.
    var restarted: Set<Int>
  }

  /// Joins again and returns the cursors of the new assignment, in partition order.
  func rejoin(keeping old: [Consumer.Cursor]) throws -> Outcome {
    let lastCommitted = commits.committedOffsets
    try membership.rejoin()
    let committed = try service.committedOffsets(group: group, topic: topic)
    var cursors: [Consumer.Cursor] = []
    var restarted = Set(old.map(\.partition))
    for owned in membership.owned.sorted(by: { $0.partition < $1.partition }) {
      let partition = owned.partition
      if let cursor = old.first(where: { $0.partition == partition }), committed[partition] == lastCommitted[partition] {
        cursors.append(cursor)  // nobody committed meanwhile: what it read is still this member's
        restarted.remove(partition)
      } else {
        cursors.append(try openCursor(partition, committed[partition]))
      }
    }
    commits.restart(committed: committed, readers: cursors.map { ($0.partition, $0.reader) })
    let watcher = try FollowWatcher.following(follow, readers: cursors.map(\.reader), service: service)
    return Outcome(cursors: cursors, watcher: watcher, restarted: restarted)
  }
}
