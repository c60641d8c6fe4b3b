import Glibc
import KQLog

/// `kq pipe IN OUT --group G -- CMD`: consume, command, produce, exactly once.
enum PipeCommand {
  static func run(_ session: Session) throws {
    let options = try PipeOptions.bind(session)
    guard let service = try session.existingService() else { throw StorageError.topicNotFound(options.inputs[0].value) }
    var partitionsOf: [TopicName: Int] = [:]
    for topic in options.inputs { partitionsOf[topic] = try service.config(of: topic).partitions }
    let outputConfig = try service.config(of: options.output)
    // Locally, recovery counts the records of OUT's marked batches (FORMAT.md, "Pipes");
    // compaction drops records from batches, marks included, so a rerun would write some output
    // twice.
    if !service.exactlyOnceOutputMayBeCompacted, outputConfig.cleanupPolicy.compacts {
      throw CommandError.message(
        "kq pipe cannot write to compacted topic \(options.output) (cleanup.policy=\(outputConfig.cleanupPolicy.rawValue)): "
          + "compaction removes the records its crash recovery counts",
        hint: "pipe into a topic with cleanup.policy=delete; 'kq topic alter \(options.output) --config cleanup.policy=delete' makes this one so",
        status: .usage)
    }
    let membership = try join(options, partitionsOf: partitionsOf, service: service, session: session)
    let output = try service.openExactlyOnceOutput(group: options.group, topic: options.output, config: outputConfig)
    defer { output.close() }
    let assignment = PipeAssignment(
      membership: membership, service: service, output: output, options: options, context: session.context)
    let runner = try PipeRunner(options: options, context: session.context, assignment: assignment)
    let ending = try runner.run()
    withExtendedLifetime(membership) {}
    if case .interrupted(let signal) = ending { throw signal == SIGTERM ? ExitStatus.terminated : ExitStatus.interrupted }
  }

  /// Joins the group owning every free partition of the input topics. With none free: exit 75,
  /// or wait with --wait.
  private static func join(
    _ options: PipeOptions, partitionsOf: [TopicName: Int], service: any LogService, session: Session
  ) throws -> any GroupMembership {
    let inputs = options.inputs.flatMap { topic in
      (0..<(partitionsOf[topic] ?? 0)).map { InputPartition(topic: topic, partition: $0) }
    }
    while true {
      let membership = try service.join(group: options.group, partitions: inputs, sessionTimeout: options.sessionTimeout)
      if !membership.owned.isEmpty { return membership }
      if options.waitsForLease, let descriptor = membership.rebalanceDescriptor {
        // A cluster: stay in the group (each join and leave would rebalance it) and take a
        // partition at a rebalance that gives this member one.
        while membership.owned.isEmpty {
          try GroupConsume.waitForRebalance(descriptor, session: session)
          if membership.needsRejoin { try membership.rejoin() }
        }
        return membership
      }
      guard options.waitsForLease else {
        let holder = service.holder(of: InputPartition(topic: options.inputs[0], partition: 0), group: options.group)
        throw CommandError.message(
          "every partition of \(options.inputs.map { "'\($0)'" }.joined(separator: ", ")) is being read by another process of group '\(options.group)'"
            + GroupConsume.holderSuffix(holder),
          hint: "try again later, or add --wait to wait for a partition", status: .temporaryFailure)
      }
      if let signal = session.context.signals, signal.fd >= 0 {
        var entry = pollfd(fd: signal.fd, events: Int16(POLLIN), revents: 0)
        if poll(&entry, 1, 100) > 0, let number = signal.pending() {
          throw number == SIGTERM ? ExitStatus.terminated : ExitStatus.interrupted
        }
      } else {
        usleep(100_000)
      }
    }
  }
}
