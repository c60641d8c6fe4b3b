import KQLog

/// `kq group reset`: computes the new offsets, prints the plan, and commits it only with
/// --execute (Kafka's habit), holding every partition's lease while it does (locally), or
/// once the group has no members (a cluster).
enum GroupResetCommand {
  struct Step {
    var partition: Int
    var current: Int64?
    var new: Int64
    var note: String?
  }

  static func run(_ session: Session) throws {
    let arguments = session.arguments
    let group = try GroupConsume.groupName(arguments.positionals[0], session: session, argument: "GROUP")
    let topic = try session.topicName(arguments.value("topic") ?? "", argument: "'--topic'")
    let target = try bindTarget(session)
    guard let service = try session.existingService() else { throw StorageError.topicNotFound(topic.value) }
    let config = try service.config(of: topic)
    var partitions = Array(0..<config.partitions)
    let chosen = try arguments.partitionNumbers("partition", below: Int.max)
    if let missing = chosen.first(where: { $0 >= config.partitions }) {
      throw StorageError.partitionNotFound(topic: topic.value, partition: missing, partitionCount: config.partitions)
    }
    if !chosen.isEmpty { partitions = chosen }
    let committed = try service.committedOffsets(group: group, topic: topic)
    var steps: [Step] = []
    for partition in partitions {
      let summary = try service.summary(of: topic, partition: partition)
      let current = committed[partition]
      var wanted: Int64
      switch target {
      case .earliest: wanted = summary.logStartOffset
      case .latest: wanted = summary.endOffset
      case .offset(let n): wanted = n
      case .datetime(let millis):
        wanted = try service.offset(forTimestamp: millis, topic: topic, partition: partition) ?? summary.endOffset
      case .shift(let n):
        // Saturating: a huge shift lands past one end of the log, and is clamped below.
        let (sum, overflow) = (current ?? summary.logStartOffset).addingReportingOverflow(n)
        wanted = overflow ? (n > 0 ? Int64.max : Int64.min) : sum
      }
      var note: String?
      if wanted < summary.logStartOffset {
        note = "\(wanted) is below the log start; using \(summary.logStartOffset)"
        wanted = summary.logStartOffset
      } else if wanted > summary.endOffset {
        note = "\(wanted) is past the log end; using \(summary.endOffset)"
        wanted = summary.endOffset
      }
      steps.append(Step(partition: partition, current: current, new: wanted, note: note))
    }
    for step in steps {
      if let note = step.note { session.context.stderr.write("kq: warning: partition \(step.partition): \(note)\n") }
    }
    let execute = arguments.has("execute")
    // With --execute the plan confirms a change made; without, the plan is the work.
    func show(_ text: String) throws { if execute { session.confirm(text) } else { try session.write(text) } }
    if execute {
      if let live = try service.members(of: group) {
        // A cluster: as Kafka's kafka-consumer-groups, only a group without members is reset,
        // its offsets committed outside any generation (Kafka's coordinator refuses such a
        // commit once a member has joined meanwhile).
        guard live.members.isEmpty else { throw StorageError.groupHasMembers(group: group.value, members: live.members.count) }
        for step in steps { try service.commit(group: group, topic: topic, partition: step.partition, offset: step.new) }
      } else {
        let inputs = steps.map { InputPartition(topic: topic, partition: $0.partition) }
        let membership = try service.join(group: group, partitions: inputs)
        defer { membership.leave() }
        if let taken = inputs.first(where: { !membership.owned.contains($0) }) {
          throw StorageError.partitionLeased(
            group: group.value, topic: topic.value, partition: taken.partition,
            holder: service.holder(of: taken, group: group)?.description)
        }
        for step in steps { try service.commit(group: group, topic: topic, partition: step.partition, offset: step.new) }
      }
    }
    if arguments.has("json") {
      let items = steps.map { step in
        JSONText.object([
          ("group", JSONText.string(group.value)), ("topic", JSONText.string(topic.value)),
          ("partition", String(step.partition)), ("current_offset", JSONText.number(step.current)),
          ("new_offset", String(step.new)),
        ])
      }
      try show(JSONText.object([("executed", execute ? "true" : "false"), ("plan", JSONText.array(items))]) + "\n")
    } else {
      var table = Table(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"])
      for step in steps {
        table.add([group.value, topic.value, String(step.partition), step.current.map { String($0) } ?? "-", String(step.new)])
      }
      try show(table.rendered)
    }
    if !execute {
      session.context.stderr.write("kq: dry run: nothing changed (hint: add --execute to commit these offsets)\n")
    }
  }

  enum Target {
    case earliest, latest
    case offset(Int64)
    case datetime(Int64)
    case shift(Int64)
  }

  private static func bindTarget(_ session: Session) throws -> Target {
    let arguments = session.arguments
    if arguments.has("to-earliest") { return .earliest }
    if arguments.has("to-latest") { return .latest }
    if let text = arguments.value("to-offset") {
      guard let n = Int64(text), n >= 0 else { throw arguments.invalidValue("to-offset", hint: "give an offset, 0 or more") }
      return .offset(n)
    }
    if let text = arguments.value("to-datetime") {
      guard let millis = Timestamps.parse(text) else {
        throw arguments.invalidValue("to-datetime", hint: "write RFC 3339 (2024-05-01T09:00:00Z) or @MILLIS")
      }
      return .datetime(millis)
    }
    if let text = arguments.value("shift-by") {
      guard let n = Int64(text) else { throw arguments.invalidValue("shift-by", hint: "give a whole number such as -100 or 50") }
      return .shift(n)
    }
    throw UsageError(
      .missingOneOf(["--to-earliest", "--to-latest", "--to-offset", "--to-datetime", "--shift-by"]),
      commandPath: arguments.commandPath)
  }
}
