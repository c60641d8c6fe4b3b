import KQLog

enum ConsumeCommand {
  static func run(_ session: Session) throws {
    let options = try bind(session)
    // The records are the work: none may be read, nor any commit made, into a closed stdout.
    if options.exec == nil { try session.context.requireStandardOutput() }
    if session.arguments.has("group") {
      try GroupConsume.run(options: options, session: session)
      return
    }
    guard let service = try session.existingService() else { throw StorageError.topicNotFound(options.topic.value) }
    let config = try service.config(of: options.topic)
    let partitions = try selectedPartitions(options, config: config)
    if session.arguments.has("table") {
      try TableConsume.run(options: options, service: service, partitions: partitions, session: session)
      return
    }
    var cursors: [Consumer.Cursor] = []
    for partition in partitions {
      cursors.append(try cursor(for: partition, start: nil, options: options, service: service, session: session))
    }
    let watcher = try FollowWatcher.following(options.follow, readers: cursors.map(\.reader), service: service)
    let consumer = Consumer(options: options, context: session.context, cursors: cursors, watcher: watcher)
    switch try consumer.run() {
    case .finished, .readerGone, .idle: return
    case .interrupted(let signal): throw signal == 15 ? ExitStatus.terminated : ExitStatus.interrupted
    }
  }

  static func bind(_ session: Session) throws -> ConsumeOptions {
    let arguments = session.arguments
    var options = ConsumeOptions(topic: try session.topicName(arguments.positionals[0]))
    if let from = arguments.value("from") {
      guard let start = parseStart(from) else {
        throw arguments.invalidValue("from", hint: "use beginning, end, an OFFSET, -N, an RFC 3339 time or @MILLIS")
      }
      options.start = start
    }
    if let since = arguments.value("since") {
      guard let ms = DurationParsing.milliseconds(since, unitRequired: true), ms >= 0 else {
        throw arguments.invalidValue("since", hint: "write a duration with a unit, such as 15m, 2h or 500ms")
      }
      options.start = .timestamp(session.context.clock.nowMillis() - ms)
    }
    if let until = arguments.value("until") {
      if let offset = Int64(until), offset >= 0 {
        options.stop = .offset(offset)
      } else if let millis = Timestamps.parse(until) {
        options.stop = .timestamp(millis)
      } else {
        throw arguments.invalidValue("until", hint: "use an OFFSET, an RFC 3339 time or @MILLIS")
      }
    }
    let partitions = try arguments.partitionNumbers("partition", below: TopicConfig.maxPartitions)
    if !partitions.isEmpty { options.partitions = partitions }
    if let max = try session.integer("max", minimum: 1) { options.maxRecords = Int(max) }
    options.follow = arguments.has("follow")
    if let idle = arguments.value("idle") {
      guard let ms = DurationParsing.milliseconds(idle, unitRequired: true), ms > 0 else {
        throw arguments.invalidValue("idle", hint: "write a duration above 0 with a unit, such as 30s or 5m")
      }
      options.idleMillis = ms
    }
    if arguments.has("json") { options.output = .json }
    if arguments.has("null") { options.output = .nulTerminated }
    if let format = arguments.value("format") {
      do { options.output = .format(try FormatString(parsing: format)) } catch {
        let what: String
        switch error {
        case .unknownToken(let token): what = "unknown token '\(token)'"
        case .unknownEscape(let escape): what = "unknown escape '\(escape)'"
        case .danglingPercent: what = "a lone '%' at the end"
        case .danglingBackslash: what = "a lone '\\' at the end"
        }
        throw arguments.invalidValue(
          "format", hint: what + "; tokens are %t %p %o %k %s %v %S %K %T %h %%, escapes \\n \\t \\r \\0 \\xNN \\\\")
      }
    }
    options.exec = try bindExec(session)
    return options
  }

  /// `--exec CMD`, `--batch N` and `--batch-bytes SIZE`, checked before any file is opened.
  static func bindExec(_ session: Session) throws -> ConsumeOptions.Exec? {
    let arguments = session.arguments
    guard let command = arguments.value("exec") else { return nil }
    // `--exec ''` (or only blanks) would run a shell that does nothing and exits 0, and
    // every batch would be committed as if it had been loaded.
    guard command.contains(where: { !$0.isWhitespace }) else {
      throw arguments.invalidValue("exec", hint: "give the command that loads each batch, e.g. 'cat >> out'")
    }
    var exec = ConsumeOptions.Exec(command: command)
    if let records = try session.integer("batch", minimum: 1) { exec.batchRecords = Int(records) }
    if let text = arguments.value("batch-bytes") {
      guard let bytes = ByteSizeParsing.bytes(text), bytes > 0 else {
        throw arguments.invalidValue("batch-bytes", hint: "write a size such as 1MiB or 16MiB")
      }
      exec.batchBytes = Int(bytes)
    }
    return exec
  }

  static func parseStart(_ text: String) -> ConsumeOptions.Start? {
    switch text {
    case "beginning", "earliest", "start": return .beginning
    case "end", "latest": return .end
    default: break
    }
    if let n = Int64(text) {
      if text.hasPrefix("-") { return n == Int64.min ? nil : .lastRecords(-n) }
      return n >= 0 ? .offset(n) : nil
    }
    if let millis = Timestamps.parse(text) { return .timestamp(millis) }
    return nil
  }

  static func selectedPartitions(_ options: ConsumeOptions, config: TopicConfig) throws -> [Int] {
    guard let chosen = options.partitions else { return Array(0..<config.partitions) }
    for partition in chosen where partition >= config.partitions {
      throw StorageError.partitionNotFound(topic: options.topic.value, partition: partition, partitionCount: config.partitions)
    }
    return chosen
  }

  /// A cursor over one partition, at `start` (a group's commit) or where `--from` says, with
  /// the end fixed now unless following.
  static func cursor(
    for partition: Int, start committed: Int64?, options: ConsumeOptions, service: any LogService, session: Session
  ) throws -> Consumer.Cursor {
    let reader = try service.openReader(options.topic, partition: partition)
    let (logStart, logEnd) = try reader.bounds()
    var start: Int64
    if let committed {
      start = committed
      if committed < logStart || committed > logEnd {
        start = committed < logStart ? logStart : logEnd
        session.context.stderr.write(
          "kq: warning: partition \(partition): committed offset \(committed) is outside the log (\(logStart) to \(logEnd)); starting at \(start)\n")
      }
    } else {
      switch options.start {
      case .beginning: start = logStart
      case .end: start = logEnd
      case .offset(let offset): start = min(max(offset, logStart), logEnd)
      case .lastRecords(let n): start = max(logStart, logEnd - n)
      case .timestamp(let millis):
        start = try service.offset(forTimestamp: millis, topic: options.topic, partition: partition) ?? logEnd
      }
    }
    var stopAt = options.follow ? Int64.max : logEnd
    switch options.stop {
    case .offset(let offset): stopAt = min(stopAt, offset)
    case .timestamp(let millis):
      let offset = try service.offset(forTimestamp: millis, topic: options.topic, partition: partition) ?? logEnd
      stopAt = min(stopAt, options.follow && offset == logEnd ? Int64.max : offset)
    case nil: break
    }
    try reader.seek(to: start)
    return Consumer.Cursor(partition: partition, reader: reader, next: start, stopAt: stopAt)
  }
}
