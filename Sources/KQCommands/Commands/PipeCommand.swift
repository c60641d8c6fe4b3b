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
    let held = membership.owned
    if options.placement == .inputPartition, let beyond = held.first(where: { $0.partition >= outputConfig.partitions }) {
      throw CommandError.message(
        "--keep-partition: '\(options.output)' has \(outputConfig.partitions) partition\(outputConfig.partitions == 1 ? "" : "s"), "
          + "and partition \(beyond.partition) of '\(beyond.topic)' has nowhere to go",
        hint: "add partitions with 'kq topic alter \(options.output) --partitions \(beyond.partition + 1)', or leave out --keep-partition",
        status: .dataError)
    }
    let output = try service.openExactlyOnceOutput(group: options.group, topic: options.output, config: outputConfig)
    defer { output.close() }
    var readers: [InputPartition: any PartitionReading] = [:]
    var bounds: [InputPartition: (start: Int64, end: Int64)] = [:]
    for input in held {
      let reader = try service.openReader(input.topic, partition: input.partition)
      readers[input] = reader
      bounds[input] = try reader.bounds()
    }
    let resumes = try output.resume(held) { input in bounds[input]?.start ?? 0 }
    output.confirmsInput = { (input) throws(StorageError) in try readers[input]?.confirmTopicExists() }
    var inputs: [PipeInput] = []
    for input in held {
      guard let reader = readers[input], let (logStart, logEnd) = bounds[input] else { continue }
      var resume = resumes[input] ?? InputResume(offset: logStart, replays: [])
      if resume.replays.isEmpty && (resume.offset < logStart || resume.offset > logEnd) {
        let start = resume.offset < logStart ? logStart : logEnd
        session.context.stderr.write(
          "kq: warning: topic '\(input.topic)' partition \(input.partition): committed offset \(resume.offset) is outside the log (\(logStart) to \(logEnd)); starting at \(start)\n")
        resume.offset = start
      }
      try reader.seek(to: resume.replays.first?.lowerBound ?? resume.offset)
      inputs.append(
        PipeInput(
          input: input, reader: reader, framing: options.inputFraming, resume: resume,
          stopAt: options.follow ? Int64.max : max(logEnd, resume.offset), context: session.context))
    }
    let watcher = try FollowWatcher.following(options.follow, readers: inputs.map(\.reader), service: service)
    let runner = PipeRunner(options: options, context: session.context, inputs: inputs, output: output, watcher: watcher)
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
