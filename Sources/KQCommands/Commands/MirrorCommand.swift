import Glibc
import KQLog

/// `kq mirror SRC DST`: opens both sides (each through the context's opener, so KQCommands
/// names no backend), makes DST, joins the group on SRC's side and runs a `Mirror`.
enum MirrorCommand {
  static func run(_ session: Session) throws {
    let arguments = session.arguments
    let source = try endpoint(arguments.positionals[0], argument: "SRC", session: session)
    let destination = try endpoint(arguments.positionals[1], argument: "DST", session: session)
    guard source != destination else {
      throw CommandError.message(
        "SRC and DST are the same topic '\(source.description)'", hint: "give a DST other than SRC", status: .usage)
    }
    let group = try GroupConsume.groupName(
      arguments.value("group") ?? destination.defaultGroupText, session: session, argument: "'--group'")
    let sessionTimeout = try session.sessionTimeout()
    if arguments.has("json") { try session.context.requireStandardOutput() }
    guard let sourceService = try service(for: source, create: false, session: session) else {
      throw StorageError.topicNotFound(source.topic.value)
    }
    let sourceConfig = try sourceService.config(of: source.topic)
    guard let destinationService = try service(for: destination, create: true, session: session) else {
      throw StorageError.topicNotFound(destination.topic.value)
    }
    let destinationConfig = try prepare(destination, like: sourceConfig, source: source, service: destinationService)

    let partitions = Array(0..<sourceConfig.partitions)
    let membership = try sourceService.join(
      group: group, partitions: partitions.map { InputPartition(topic: source.topic, partition: $0) },
      sessionTimeout: sessionTimeout)
    guard !membership.owned.isEmpty else {
      throw CommandError.message(
        "every partition of '\(source.description)' is being copied by another run of group '\(group)'",
        hint: "try again when it has finished, or give another --group", status: .temporaryFailure)
    }
    let committed = try sourceService.committedOffsets(group: group, topic: source.topic)
    var options = ConsumeOptions(topic: source.topic)
    options.follow = arguments.has("follow")
    var lanes: [Mirror.Lane] = []
    for owned in membership.owned {
      let cursor = try ConsumeCommand.cursor(
        for: owned.partition, start: committed[owned.partition], options: options, service: sourceService, session: session)
      let writer = try destinationService.openWriter(destination.topic, partition: owned.partition, config: destinationConfig)
      lanes.append(Mirror.Lane(cursor: cursor, writer: writer, committed: committed[owned.partition]))
    }
    let watcher = try FollowWatcher.following(options.follow, readers: lanes.map(\.cursor.reader), service: sourceService)
    let mirror = Mirror(
      source: (sourceService, source.topic), destination: (destinationService, destinationConfig), group: group,
      lanes: lanes, watcher: watcher, context: session.context)
    let ending = try mirror.run()
    withExtendedLifetime(membership) {}
    if arguments.has("json") {
      try session.write(mirror.summary(source: source.description, destination: destination.description) + "\n")
    }
    if case .interrupted(let signal) = ending { throw signal == SIGTERM ? ExitStatus.terminated : ExitStatus.interrupted }
  }

  static func endpoint(_ text: String, argument: String, session: Session) throws -> MirrorEndpoint {
    switch MirrorEndpoint.parse(text) {
    case .success(let endpoint): return endpoint
    case .failure(let problem):
      // One line, as every refusal of a mirror's sides (not the usage line a flag's gets).
      throw CommandError.message("\(argument) '\(text)' \(problem.phrase)", hint: problem.hint, status: .usage)
    }
  }

  /// The service `endpoint` lives on; nil for a data directory that does not exist (without `create`).
  static func service(for endpoint: MirrorEndpoint, create: Bool, session: Session) throws -> (any LogService)? {
    let location: LogLocation
    switch endpoint.place {
    case .directory: location = .directory(try session.dataDirectoryPath())
    case .cluster(let brokers): location = .cluster(brokers: brokers, timeoutMillis: try session.brokerTimeoutMillis())
    }
    do { return try session.context.services.open(location, create: create, clock: session.context.clock) } catch StorageError
      .dataDirectoryNotFound
    { return nil }
  }

  /// DST's configuration: created with SRC's partition count when missing; refused when it
  /// has fewer partitions than SRC.
  static func prepare(
    _ destination: MirrorEndpoint, like sourceConfig: TopicConfig, source: MirrorEndpoint, service: any LogService
  ) throws -> TopicConfig {
    let config: TopicConfig
    do { config = try service.config(of: destination.topic) } catch .topicNotFound {
      var created = TopicConfig()
      created.partitions = sourceConfig.partitions
      do { try service.createTopic(destination.topic, config: created) } catch .topicAlreadyExists {
        // Another run created it meanwhile: it is checked as it is.
      }
      config = try service.config(of: destination.topic)
    }
    guard config.partitions >= sourceConfig.partitions else {
      throw CommandError.message(
        "'\(destination.description)' has \(config.partitions) partition\(config.partitions == 1 ? "" : "s"), "
          + "fewer than the \(sourceConfig.partitions) of '\(source.description)'",
        hint: "add partitions with 'kq topic alter \(destination.topic) --partitions \(sourceConfig.partitions)', "
          + "or mirror to a new topic", status: .usage)
    }
    return config
  }
}
