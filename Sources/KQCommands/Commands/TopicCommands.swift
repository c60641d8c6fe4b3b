import KQLog

enum TopicCreateCommand {
  static func run(_ session: Session) throws {
    let name = try session.topicName(session.arguments.positionals[0], argument: "NAME")
    var config = TopicConfig()
    if let partitions = try session.integer("partitions", minimum: 1, maximum: Int64(TopicConfig.maxPartitions)) {
      config.partitions = Int(partitions)
    }
    try ConfigSettings.apply(try ConfigSettings.parse(session), to: &config, session: session)
    let service = try session.service(create: true)
    do {
      try service.createTopic(name, config: config)
    } catch {
      if case .topicAlreadyExists = error, session.arguments.has("if-not-exists") { return }
      throw error
    }
    session.confirm("created topic \(name) with \(config.partitions) partition\(config.partitions == 1 ? "" : "s")\n")
  }
}

enum TopicListCommand {
  static func run(_ session: Session) throws {
    let json = session.arguments.has("json")
    guard let service = try session.existingService() else {
      if json { try session.write("[]\n") }
      return
    }
    let names = try service.topicNames()
    if !json {
      try session.write(names.map { $0.value + "\n" }.joined())
      return
    }
    var items: [String] = []
    for name in names { items.append(try TopicTotals(name, service: service).json) }
    try session.write("[" + items.joined(separator: ",") + "]\n")
  }
}

enum TopicDeleteCommand {
  static func run(_ session: Session) throws {
    var names: [TopicName] = []
    for text in session.arguments.positionals {
      let name = try session.topicName(text, argument: "NAME")
      if !names.contains(name) { names.append(name) }
    }
    let ifExists = session.arguments.has("if-exists")
    guard let service = try session.existingService() else {
      if ifExists { return }
      throw StorageError.topicNotFound(names[0].value)
    }
    // Every name is checked before the first topic is deleted (the help promises it). A name
    // without a topic may still hold what an interrupted deletion left: deleting it finishes
    // that deletion (a name with nothing there is still "does not exist").
    var finished: [TopicName] = []
    if !ifExists {
      for name in names {
        do { _ = try service.config(of: name) } catch {
          guard case .topicNotFound = error else { throw error }
          try service.deleteTopic(name)
          finished.append(name)
        }
      }
    }
    for name in finished { session.confirm("deleted topic \(name) (finished an interrupted deletion)\n") }
    for name in names where !finished.contains(name) {
      do { try service.deleteTopic(name) } catch {
        if case .topicNotFound = error, ifExists { continue }
        throw error
      }
      session.confirm("deleted topic \(name)\n")
    }
  }
}

enum TopicAlterCommand {
  static func run(_ session: Session) throws {
    let name = try session.topicName(session.arguments.positionals[0], argument: "NAME")
    var settings = try ConfigSettings.parse(session)
    if let partitions = try session.integer("partitions", minimum: 1, maximum: Int64(TopicConfig.maxPartitions)) {
      settings.append(("partitions", String(partitions)))
    }
    guard !settings.isEmpty else {
      throw UsageError(.missingOneOf(["--config", "--partitions", "--retention"]), commandPath: session.arguments.commandPath)
    }
    var check = TopicConfig()
    try ConfigSettings.apply(settings, to: &check, session: session)
    guard let service = try session.existingService() else { throw StorageError.topicNotFound(name.value) }
    let config = try service.alterTopic(name, settings: settings)
    var lines = ""
    for (key, _) in settings { lines += "\(name) \(key)=\(config.value(of: key) ?? "")\n" }
    session.confirm(lines)
  }
}

enum TopicCompactCommand {
  static func run(_ session: Session) throws {
    let name = try session.topicName(session.arguments.positionals[0], argument: "NAME")
    guard let opened = try session.existingService() else { throw StorageError.topicNotFound(name.value) }
    guard let service = opened as? any LogCompacting else {
      throw StorageError.unsupportedOperation("kq topic compact", location: opened.location)
    }
    let config = try service.config(of: name)
    guard config.cleanupPolicy.compacts else {
      throw CommandError.message(
        "topic \(name) is not compacted (cleanup.policy=\(config.cleanupPolicy.rawValue))",
        hint: "kq topic alter \(name) --config cleanup.policy=compact", status: .usage)
    }
    var reports: [CompactionReport] = []
    for partition in 0..<config.partitions { reports.append(try service.compact(name, partition: partition)) }
    if session.arguments.has("json") {
      let items = reports.enumerated().map { partition, report in
        JSONText.object([
          ("partition", String(partition)), ("segments_before", String(report.segmentsBefore)),
          ("bytes_before", String(report.bytesBefore)), ("segments_after", String(report.segmentsAfter)),
          ("bytes_after", String(report.bytesAfter)), ("cleaned_end", String(report.cleanedEnd)),
        ])
      }
      try session.write(
        JSONText.object([("topic", JSONText.string(name.value)), ("partitions", JSONText.array(items))]) + "\n")
      return
    }
    var text = ""
    for (partition, report) in reports.enumerated() {
      text += "\(name)-\(partition): \(segments(report.segmentsBefore)), \(report.bytesBefore) bytes"
        + " -> \(segments(report.segmentsAfter)), \(report.bytesAfter) bytes\n"
    }
    try session.write(text)
  }

  private static func segments(_ n: Int) -> String { "\(n) segment\(n == 1 ? "" : "s")" }
}
