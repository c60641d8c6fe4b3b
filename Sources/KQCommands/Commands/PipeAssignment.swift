import KQLog

/// The input partitions a `kq pipe` process holds in its group, and their readers: opened at
/// the start, and on a cluster again after each rebalance (another process of the group came
/// or went), when `rejoin` takes the new assignment and every partition held then goes on from
/// the group's committed offsets. Partitions taken away are let go: nothing of theirs is
/// committed afterwards.
final class PipeAssignment {
  let membership: any GroupMembership
  let service: any LogService
  let output: any ExactlyOnceOutput
  let options: PipeOptions
  let context: Context
  /// Without -f, where each partition's reading stops: the end it had when this process first
  /// held it (a partition that comes back after a rebalance keeps it, so every run ends).
  private var stopOffsets: [InputPartition: Int64] = [:]

  init(membership: any GroupMembership, service: any LogService, output: any ExactlyOnceOutput, options: PipeOptions, context: Context) {
    self.membership = membership
    self.service = service
    self.output = output
    self.options = options
    self.context = context
  }

  /// Whether the group is moving partitions: commit what was ended, then `rejoin`.
  var isRebalancing: Bool { membership.needsRejoin }

  /// Readable while a rebalance is due, for a follower's wait; nil where the assignment never
  /// changes during a run (locally: leases).
  var rebalanceDescriptor: Int32? { membership.rebalanceDescriptor }

  /// Joins the group again and opens the partitions it assigns now.
  func rejoin() throws -> [PipeInput] {
    try membership.rejoin()
    return try open()
  }

  /// Opens the partitions held now, each from the group's committed offset (or where a crash
  /// left its output, locally).
  func open() throws -> [PipeInput] {
    let held = membership.owned
    let partitions = output.config.partitions
    if options.placement == .inputPartition, let beyond = held.first(where: { $0.partition >= partitions }) {
      throw CommandError.message(
        "--keep-partition: '\(options.output)' has \(partitions) partition\(partitions == 1 ? "" : "s"), "
          + "and partition \(beyond.partition) of '\(beyond.topic)' has nowhere to go",
        hint: "add partitions with 'kq topic alter \(options.output) --partitions \(beyond.partition + 1)', or leave out --keep-partition",
        status: .dataError)
    }
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
        context.stderr.write(
          "kq: warning: topic '\(input.topic)' partition \(input.partition): committed offset \(resume.offset) is outside the log (\(logStart) to \(logEnd)); starting at \(start)\n")
        resume.offset = start
      }
      try reader.seek(to: resume.replays.first?.lowerBound ?? resume.offset)
      let stopAt = stopOffsets[input] ?? max(logEnd, resume.offset)
      stopOffsets[input] = stopAt
      inputs.append(
        PipeInput(
          input: input, reader: reader, framing: options.inputFraming, resume: resume,
          stopAt: options.follow ? Int64.max : stopAt, context: context))
    }
    return inputs
  }

  /// What wakes a follower (-f) when records may have arrived at `inputs`; nil without -f.
  func watcher(for inputs: [PipeInput]) throws -> FollowWatcher? {
    try FollowWatcher.following(options.follow, readers: inputs.map(\.reader), service: service)
  }
}
