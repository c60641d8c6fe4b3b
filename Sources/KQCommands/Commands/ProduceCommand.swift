import KQCompression
import KQLog

enum ProduceCommand {
  static func run(_ session: Session) throws {
    let arguments = session.arguments
    var options = ProduceOptions(topic: try session.topicName(arguments.positionals[0]))
    if arguments.has("null") { options.framing = .nulTerminated }
    if arguments.has("json") { options.framing = .json }
    options.emptyAsNull = arguments.has("empty-as-null")
    if let delimiter = arguments.valueBytes("key-delimiter") {
      let bytes = Escapes.unescape(delimiter)
      guard !bytes.isEmpty else { throw arguments.invalidValue("key-delimiter", hint: "give one or more characters, e.g. ':' or '\\t'") }
      options.keyDelimiter = bytes
    }
    options.fixedKey = arguments.valueBytes("key")
    for bytes in arguments.valuesBytes("header") {
      if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
        options.headers.append(Header(key: Array(bytes[..<equals]), value: Array(bytes[(equals + 1)...])))
      } else {
        options.headers.append(Header(key: bytes, value: nil))
      }
    }
    if let partition = try session.integer("partition", maximum: Int64(TopicConfig.maxPartitions - 1)) {
      options.partition = Int(partition)
    }
    if let sync = arguments.value("sync") {
      guard let mode = ProduceOptions.SyncMode(rawValue: sync) else {
        throw UsageError(.invalidChoice(flag: "--sync", value: sync, choices: ["exit", "batch", "none"]), commandPath: arguments.commandPath)
      }
      options.sync = mode
    }
    if let name = arguments.value("compression") {
      guard let codec = ProduceOptions.compressionChoices[name] else {
        throw UsageError(
          .invalidChoice(flag: "--compression", value: name, choices: ProduceOptions.compressionNames),
          commandPath: arguments.commandPath)
      }
      options.compression = codec
    }
    if let text = arguments.value("timestamp") {
      guard let millis = Timestamps.parse(text) else {
        throw arguments.invalidValue("timestamp", hint: "write RFC 3339 (2024-05-01T09:00:00Z) or @MILLIS")
      }
      guard RecordTimestamp.isValid(millis) else {
        throw arguments.invalidValue("timestamp", hint: "a record's time is 1970 or later, or @-1 for none, as in Kafka")
      }
      options.timestamp = millis
    }
    options.createIfMissing = arguments.has("create")
    options.printOffsets = arguments.has("print-offsets")
    if options.printOffsets { try session.context.requireStandardOutput() }

    let (service, config, created) = try openOrReportInterruption(options, session)
    if let partition = options.partition, partition >= config.partitions {
      throw StorageError.partitionNotFound(topic: options.topic.value, partition: partition, partitionCount: config.partitions)
    }
    if session.context.stdin.isTerminal && session.context.stderr.isTerminal {
      session.context.stderr.write("kq: reading records from the terminal, one per line; end with Ctrl-D\n")
    }
    let producer = Producer(
      options: options, config: config, service: service, context: session.context,
      addsPartitions: created && options.framing == .json && options.partition == nil)
    try producer.run()
  }

  /// `open`, where Ctrl-C or SIGTERM while kq connects to a cluster ends the run as an
  /// interruption before the first record does: "interrupted; 0 records stored", 130 or 143.
  private static func openOrReportInterruption(_ options: ProduceOptions, _ session: Session) throws -> (
    service: any LogService, config: TopicConfig, created: Bool
  ) {
    do {
      return try open(options, session)
    } catch StorageError.cluster(_, .interrupted) {
      throw Producer.interruption(by: session.context.signals?.pending(), stored: 0, session.context)
    }
  }

  /// The service and the topic's configuration, creating the topic with `--create`; `created`
  /// when this run made it.
  private static func open(_ options: ProduceOptions, _ session: Session) throws -> (
    service: any LogService, config: TopicConfig, created: Bool
  ) {
    let topic = options.topic
    guard options.createIfMissing else {
      guard let service = try session.existingService() else { throw StorageError.topicNotFound(topic.value) }
      return (service, try service.config(of: topic), false)
    }
    let service = try session.service(create: true)
    do { return (service, try service.config(of: topic), false) } catch StorageError.topicNotFound(_) {}
    var created = true
    // The topic is this run's to shape: with -p N, it has partition N (-p is below the most a
    // topic may have), rather than being made and then refused.
    var config = TopicConfig()
    if let partition = options.partition { config.partitions = max(config.partitions, partition + 1) }
    do { try service.createTopic(topic, config: config) } catch StorageError.topicAlreadyExists(_) { created = false }
    return (service, try service.config(of: topic), created)
  }
}

/// Backslash escapes in delimiters given on the command line: `\t \n \r \0 \\ \xNN`.
enum Escapes {
  static func unescape(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "\\") && i + 1 < bytes.count {
        switch bytes[i + 1] {
        case UInt8(ascii: "t"): out.append(9)
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "0"): out.append(0)
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "x") where i + 3 < bytes.count:
          if let value = UInt8(String(decoding: bytes[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
            out.append(value)
            i += 4
            continue
          }
          out.append(bytes[i])
          i += 1
          continue
        default:
          out.append(bytes[i])
          i += 1
          continue
        }
        i += 2
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return out
  }
}
