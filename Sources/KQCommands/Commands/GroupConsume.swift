import Glibc
import KQLog

/// `kq consume TOPIC --group G`: lease the partitions that are free, start at the group's
/// commits, and commit what was written (or, with --exec, what the command accepted).
enum GroupConsume {
  static func run(options: ConsumeOptions, session: Session) throws {
    let arguments = session.arguments
    let group = try groupName(arguments.value("group") ?? "", session: session, argument: "'--group'")
    let sessionTimeout = try session.sessionTimeout()
    guard let service = try session.existingService() else { throw StorageError.topicNotFound(options.topic.value) }
    let config = try service.config(of: options.topic)
    let partitions = try ConsumeCommand.selectedPartitions(options, config: config)
    let membership = try join(
      group: group, partitions: partitions, sessionTimeout: sessionTimeout, options: options, service: service, session: session)
    let committed = try service.committedOffsets(group: group, topic: options.topic)
    var cursors: [Consumer.Cursor] = []
    for owned in membership.owned {
      cursors.append(
        try ConsumeCommand.cursor(
          for: owned.partition, start: committed[owned.partition], options: options, service: service, session: session))
    }
    let commits = CommitTracker(
      group: group, topic: options.topic, service: service, clock: session.context.clock,
      enabled: !arguments.has("no-commit"), committed: committed,
      readers: Dictionary(uniqueKeysWithValues: cursors.map { ($0.partition, $0.reader) }))
    let watcher = try FollowWatcher.following(options.follow, readers: cursors.map(\.reader), service: service)
    let rebalance = membership.rebalanceDescriptor == nil ? nil : GroupRebalance(
      membership: membership, service: service, group: group, topic: options.topic, follow: options.follow, commits: commits,
      openCursor: { partition, committed in
        try ConsumeCommand.cursor(for: partition, start: committed, options: options, service: service, session: session)
      })
    if rebalance != nil {
      commits.membership = membership
      commits.warnings = session.context.stderr
      commits.waitsOutOutages = options.follow
    }
    let ending: Consumer.Ending
    if let exec = options.exec {
      let runner = ExecBatches(
        command: exec.command, group: group, options: options, context: session.context, cursors: cursors,
        batchRecords: exec.batchRecords, batchBytes: exec.batchBytes, commits: commits, watcher: watcher)
      runner.rebalance = rebalance
      ending = try runner.run()
    } else {
      let consumer = Consumer(
        options: options, context: session.context, cursors: cursors, watcher: watcher, tracksRecordEnds: commits.enabled)
      consumer.rebalance = rebalance
      commits.outageWarning = consumer.outageWarning
      consumer.onFlush = { positions, force in try commits.commit(positions, force: force || !options.follow) }
      do { ending = try consumer.run() } catch {
        // What was written out before the error is the group's, even when a commit was due later.
        commits.waitsOutOutages = false
        _ = try? commits.commit(consumer.deliveredPositions, force: true)
        throw error
      }
      commits.waitsOutOutages = false  // the last commit fails if it cannot be made
      try commits.commit(consumer.deliveredPositions, force: true)
    }
    withExtendedLifetime(membership) {}
    if case .interrupted(let signal) = ending { throw signal == SIGTERM ? ExitStatus.terminated : ExitStatus.interrupted }
  }

  /// " (pid 4242)" for messages; nothing when the holder is unknown or left no readable pid.
  static func holderSuffix(_ holder: PartitionHolder?) -> String {
    guard let holder, (holder.processID ?? 1) > 0 else { return "" }
    return " (\(holder))"
  }

  static func groupName(_ text: String, session: Session, argument: String) throws -> GroupName {
    do { return try GroupName(text) } catch {
      var reason = "use 1 to 249 letters, digits, '.', '_' or '-'"
      if case .invalidGroupName(_, let why) = error { reason = why }
      throw session.arguments.invalidArgument(argument, value: text, hint: reason)
    }
  }

  /// Joins the group owning every free partition among `partitions`. With none free: exit 75,
  /// or wait with --wait.
  private static func join(
    group: GroupName, partitions: [Int], sessionTimeout: Duration?, options: ConsumeOptions, service: any LogService,
    session: Session
  ) throws -> any GroupMembership {
    let inputs = partitions.map { InputPartition(topic: options.topic, partition: $0) }
    while true {
      let membership = try service.join(group: group, partitions: inputs, sessionTimeout: sessionTimeout)
      if !membership.owned.isEmpty { return membership }
      if session.arguments.has("wait"), let descriptor = membership.rebalanceDescriptor {
        // A cluster: stay in the group (joining again and again would rebalance it each
        // time) and take a partition at a rebalance that gives this member one.
        while membership.owned.isEmpty {
          try waitForRebalance(descriptor, session: session)
          if membership.needsRejoin { try membership.rejoin() }
        }
        return membership
      }
      guard session.arguments.has("wait") else {
        let holder = inputs.first.flatMap { service.holder(of: $0, group: group) }
        throw CommandError.message(
          "every partition of '\(options.topic)' is being read by another consumer of group '\(group)'"
            + holderSuffix(holder),
          hint: "try again later, or add --wait to wait for a partition", status: .temporaryFailure)
      }
      try waitForRebalance(nil, session: session)
    }
  }

  /// Waits up to 100 ms for `descriptor` (a group's rebalance) to become readable, or
  /// throws the status of a signal that arrives meanwhile.
  static func waitForRebalance(_ descriptor: Int32?, session: Session) throws {
    var entries: [pollfd] = []
    if let descriptor { entries.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)) }
    let signals = session.context.signals.flatMap { $0.fd >= 0 ? $0 : nil }
    if let signals { entries.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)) }
    guard !entries.isEmpty else {
      usleep(100_000)
      return
    }
    _ = poll(&entries, nfds_t(entries.count), 100)
    if let number = signals?.pending() { throw number == SIGTERM ? ExitStatus.terminated : ExitStatus.interrupted }
  }
}

/// Commits a group's positions: on request, or at most once a second while following.
final class CommitTracker {
  let group: GroupName
  let topic: TopicName
  let service: any LogService
  let clock: any WallClock
  let enabled: Bool
  /// The group's offsets as this member last committed or found them.
  private(set) var committedOffsets: [Int: Int64]
  private var lastCommitMillis: Int64 = 0
  /// The readers whose positions are committed: a position is committed only while the topic
  /// they read still exists (not deleted, nor deleted and created again).
  private var readers: [Int: any PartitionReading]
  /// The membership whose generation a commit belongs to, when it can end mid-run (a
  /// cluster's rebalance): a commit it refuses then is dropped with a warning, not an error.
  var membership: (any GroupMembership)?
  var warnings: (any ByteSink)?
  /// A follower on a cluster: a commit the cluster cannot take now (unreachable) is deferred
  /// and tried again a second later, as the follower's polls wait the outage out.
  var waitsOutOutages = false
  /// Where a deferred commit says the cluster cannot be reached, once per outage.
  var outageWarning: OutageWarning?

  init(
    group: GroupName, topic: TopicName, service: any LogService, clock: any WallClock, enabled: Bool, committed: [Int: Int64],
    readers: [Int: any PartitionReading]
  ) {
    self.group = group
    self.topic = topic
    self.service = service
    self.clock = clock
    self.enabled = enabled
    self.committedOffsets = committed
    self.readers = readers
  }

  /// Commits positions that moved; false when it deferred them (less than a second since the
  /// last commit and not forced).
  @discardableResult
  func commit(_ positions: [Int: Int64], force: Bool) throws -> Bool {
    guard enabled else { return true }
    let now = clock.nowMillis()
    guard force || now - lastCommitMillis >= 1000 else {
      return !positions.contains { committedOffsets[$0.key] != $0.value }
    }
    for (partition, offset) in positions.sorted(by: { $0.key < $1.key }) where committedOffsets[partition] != offset {
      guard let reader = readers[partition] else { continue }  // a rebalance took it
      do throws(StorageError) { try reader.confirmTopicExists() } catch {
        guard waitsOutOutages else { throw error }
        // Created again while the cluster was out of reach: its reader starts the new one (a
        // topic deleted for good ends the follower at its next idle poll).
        if case .topicDeleted = error { continue }
        // The cluster cannot say right now: the commit waits for it (a rejoin the heartbeats
        // asked for meanwhile comes first; its commits are the next generation's).
        guard case .cluster(let reason, .unavailable) = error else { throw error }
        if let warnings { outageWarning?.warn(OutageWarning.text(for: reason), to: warnings) }
        return false
      }
      do {
        try service.commit(group: group, topic: topic, partition: partition, offset: offset, readBy: reader)
      } catch {
        if waitsOutOutages, membership?.needsRejoin != true, case .cluster(let reason, .unavailable) = error {
          if let warnings { outageWarning?.warn(OutageWarning.text(for: reason), to: warnings) }
          return false
        }
        guard membership?.needsRejoin == true else { throw error }
        if waitsOutOutages, let warnings, case .cluster(let reason, .unavailable) = error {
          outageWarning?.warn(OutageWarning.text(for: reason), to: warnings)
        }
        // The generation ended before this commit: the group's next owner of each partition
        // reads from the last commit that was accepted (at least once).
        warnings?.write(
          "kq: warning: group '\(group)' is rebalancing; the records read since its last commit may be read again by the partitions' next owners\n")
        break
      }
      committedOffsets[partition] = offset
    }
    lastCommitMillis = now
    return true
  }

  /// The topic under `partition`'s reader was deleted and created again: what this member
  /// committed was the old topic's, and in the new one it has committed nothing yet. A rejoin
  /// that then finds no commit for the partition keeps the reader where it is in the new
  /// topic, instead of reading it again from the start.
  func forgetCommit(partition: Int) { committedOffsets[partition] = nil }

  /// After a rebalance: the group's offsets as committed now, and the readers of the
  /// partitions this member owns in the new generation.
  func restart(committed: [Int: Int64], readers: [(Int, any PartitionReading)]) {
    committedOffsets = committed
    self.readers = Dictionary(readers, uniquingKeysWith: { first, _ in first })
  }
}
