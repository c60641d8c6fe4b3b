import KQLog

/// One error, worded once: `kq: error: WHAT (hint: WHAT TO DO)` and its exit status.
struct Diagnostic {
  var message: String
  var hint: String?
  var status: ExitStatus

  /// One line, whatever the message quotes: control characters are escaped (`TerminalText`).
  var rendered: String {
    "kq: error: " + TerminalText.escaped(message + (hint.map { " (hint: \($0))" } ?? "")) + "\n"
  }

  init(message: String, hint: String?, status: ExitStatus) {
    self.message = message
    self.hint = hint
    self.status = status
  }

  init(for error: any Error) {
    switch error {
    case let error as StorageError: self = Diagnostic(storage: error)
    case let error as ProduceInputError: self = Diagnostic(input: error)
    case let failure as ProduceStorageFailure:
      var diagnostic = Diagnostic(storage: failure.underlying)
      if case .topicDeleted = failure.underlying {
        let n = failure.stored
        diagnostic.message += "; the \(n) record\(n == 1 ? "" : "s") this run stored went with it"
      } else {
        diagnostic.message += Self.storedBefore(failure.stored)
      }
      self = diagnostic
    case let error as CommandError:
      switch error {
      case .noHome:
        self.init(message: "cannot find the data directory: HOME is not set", hint: "set KQ_DIR or pass --dir PATH", status: .usage)
      case .execFailed(let command, let reason):
        self.init(message: "cannot run '\(command)': \(reason)", hint: "check that sh can run it", status: .failure)
      case .standardOutputClosed:
        self.init(
          message: "standard output is closed", hint: "give kq an output, e.g. '> /dev/null' to discard it", status: .ioError)
      case .message(let text, let hint, let status):
        self.init(message: text, hint: hint, status: status)
      }
    case let errno as Errno:
      self.init(message: errno.description, hint: nil, status: .ioError)
    default:
      self.init(message: "\(error)", hint: "this is a bug in kq; please report it", status: .software)
    }
  }

  /// `; 2 records before it were stored`, `; 1 record before it was stored`.
  static func storedBefore(_ n: Int) -> String { "; \(n) record\(n == 1 ? "" : "s") before it \(n == 1 ? "was" : "were") stored" }

  init(input error: ProduceInputError) {
    let stored = Self.storedBefore
    switch error {
    case .recordTooLarge(let line, let size, let limit, let n, let topic, let isLowerBound):
      self.init(
        message: "line \(line): record of \(isLowerBound ? "more than " : "")\(size) bytes exceeds max.message.bytes (\(limit))" + stored(n),
        hint: "raise it with 'kq topic alter \(topic) --config max.message.bytes=SIZE'", status: .dataError)
    case .malformedJSON(let line, let reason, let n):
      self.init(message: "line \(line): \(reason)" + stored(n), hint: "fix the line and produce the rest again", status: .dataError)
    case .partitionOutOfRange(let line, let partition, let count, let n, let topic):
      self.init(
        message: "line \(line): partition \(partition) does not exist (the topic has \(count))" + stored(n),
        hint: partition < TopicConfig.maxPartitions
          ? "add partitions with 'kq topic alter \(topic) --partitions \(partition + 1)', or drop the record's partition to let kq choose"
          : "use a partition from 0 to \(count - 1)",
        status: .dataError)
    case .keyRequired(let line, let n, let topic):
      self.init(
        message: "line \(line): a record without a key cannot go to compacted topic \(topic)" + stored(n),
        hint: "give every record a key (-K DELIM, --key KEY, or \"key\" in --json)", status: .dataError)
    }
  }

  init(storage error: StorageError) {
    switch error {
    case .appendStoppedPartway(_, let stored, let cause):
      self.init(storage: cause)
      message += Self.storedBefore(stored)
    case .io(let errno, let operation, let path):
      var hint: String? = nil
      switch errno.code {
      case 28:
        hint = path.hasPrefix("standard ") ? "free some space where the output goes" : "free some disk space; records stored before this are kept"
      case 13, 1: hint = "check the permissions of \(path)"
      case 30: hint = "the file system is read-only"
      default: break
      }
      self.init(message: "cannot \(operation) \(path): \(errno)", hint: hint, status: .ioError)
    case .corruptBatch(let file, let position, let reason):
      self.init(
        message: "corrupt record batch in \(file) at byte \(position): \(Self.describe(reason))",
        hint: "records before it are intact; keep a copy of the file for investigation", status: .ioError)
    case .damagedLog(let file, let position, let reason, let firstOffset, let endOffset):
      let offsets = endOffset.map { $0 > firstOffset + 1 ? "offsets \(firstOffset) to \($0 - 1)" : "offset \(firstOffset)" }
        ?? "offsets from \(firstOffset) on"
      self.init(
        message: "damaged record batch in \(file) at byte \(position): \(Self.describe(reason)); \(offsets) cannot be read",
        hint: "appends to this partition stop until 'kq verify --repair' moves the damage aside; nothing was cut or deleted; keep a copy of the folder for investigation",
        status: .ioError)
    case .offsetGap(let file, let expected, let found):
      let what = found > expected
        ? "offsets \(expected) to \(found - 1) are missing: \(file) starts at \(found), but the segment before it ends at \(expected)"
        : "\(file) starts at offset \(found), inside the segment before it (which ends at \(expected))"
      self.init(
        message: what,
        hint: "a segment file was lost, emptied or copied in; 'kq verify --repair' lists the gap so that readers pass it; keep a copy of the folder for investigation",
        status: .ioError)
    case .corruptIndex(let file, let reason), .corruptFile(let file, let reason):
      self.init(
        message: "damaged file \(file): \(reason)",
        hint: "'kq verify --repair' keeps it aside and mends what it can; keep a copy of it for investigation", status: .ioError)
    case .unsupportedFormat(let path, let found, let newestSupported):
      self.init(
        message: "\(path) says format \(found); this kq reads format \(newestSupported)",
        hint: "use the kq that wrote it, or a newer one", status: .unavailable)
    case .notADataDirectory(let path):
      self.init(
        message: "\(path) is not a kq data directory (it has no kq-format file and is not empty)",
        hint: "point --dir or KQ_DIR at a new or empty directory", status: .cannotCreate)
    case .notADirectory(let path):
      self.init(
        message: "\(path) is not a directory", hint: "point --dir or KQ_DIR at a new or empty directory", status: .cannotCreate)
    case .dataDirectoryNotFound(let path):
      self.init(message: "no data directory at \(path)", hint: "create a topic first with 'kq topic create NAME'", status: .noInput)
    case .invalidTopicName(let name, let reason):
      self.init(message: "invalid topic name '\(name)': \(reason)", hint: nil, status: .usage)
    case .invalidGroupName(let name, let reason):
      self.init(message: "invalid group name '\(name)': \(reason)", hint: nil, status: .usage)
    case .topicNotFound(let name):
      self.init(
        message: "topic '\(name)' does not exist",
        hint: "create it with 'kq topic create \(name)', or produce with --create", status: .noInput)
    case .topicDeleted(let name):
      self.init(
        message: "topic '\(name)' was deleted while kq was using it",
        hint: "create it again with 'kq topic create \(name)' to go on", status: .noInput)
    case .topicAlreadyExists(let name):
      self.init(message: "topic '\(name)' already exists", hint: "add --if-not-exists to accept that", status: .failure)
    case .topicNameCollision(let name, let existing):
      self.init(
        message: "topic '\(name)' would collide with '\(existing)' ('.' and '_' are the same to Kafka)",
        hint: "choose another name", status: .failure)
    case .partitionNotFound(let topic, let partition, let count):
      self.init(
        message: "topic '\(topic)' has no partition \(partition)",
        hint: "it has \(count) partition\(count == 1 ? "" : "s"), numbered from 0", status: .usage)
    case .syncedRecordsMissing(let file, let logEnd, let recoveryPoint):
      self.init(
        message: "\(file) ends at offset \(logEnd), but offsets up to \(recoveryPoint - 1) were synced: "
          + "records kq made durable were lost outside it",
        hint: "run 'kq verify --repair': writers then continue at offset \(recoveryPoint), so that no offset is given twice",
        status: .ioError)
    case .partitionFolderMissing(let topic, let partition, let path):
      self.init(
        message: "partition \(partition) of topic '\(topic)' has no folder: \(path) is missing",
        hint: "'kq verify --repair' creates it empty; the records it held are gone", status: .ioError)
    case .unknownConfig(let key):
      self.init(message: "unknown config key '\(key)'", hint: "known keys: " + TopicConfig.alterableKeys.joined(separator: ", "), status: .usage)
    case .invalidConfig(let key, let value, let reason):
      let hint = key == "partitions" ? "as in Kafka, partitions are never taken away; copy the records into a new topic instead" : nil
      self.init(message: "invalid value '\(value)' for \(key): \(reason)", hint: hint, status: .usage)
    case .recordTooLarge(let size, let limit):
      self.init(message: "record of \(size) bytes exceeds max.message.bytes (\(limit))", hint: nil, status: .dataError)
    case .offsetOutOfRange(let offset, let start, let end):
      self.init(message: "offset \(offset) is outside the log (\(start) to \(end))", hint: nil, status: .failure)
    case .groupNotFound(let group):
      self.init(message: "group '\(group)' does not exist", hint: "'kq group list' shows the groups", status: .noInput)
    case .partitionLeased(let group, let topic, let partition, let holder):
      self.init(
        message: "partition \(partition) of '\(topic)' is being read by another consumer of group '\(group)'"
          + (holder.map { " (\($0))" } ?? ""),
        hint: "let that consumer finish or stop it, then run this again", status: .temporaryFailure)
    case .groupHasMembers(let group, let members):
      self.init(
        message: "group '\(group)' has \(members) active member\(members == 1 ? "" : "s"); "
          + "a cluster's group is reset or deleted only while it has none",
        hint: "stop the group's consumers, then run this again", status: .temporaryFailure)
    case .undecodableFetchedBatch(let topic, let partition, let offset, let reason):
      self.init(
        message: "the record batch at offset \(offset) of topic '\(topic)' partition \(partition), from the cluster, "
          + "cannot be read: \(Self.describe(reason))",
        hint: "the records before it were read; the producer that wrote it may use a format kq does not read",
        status: .dataError)
    case .cluster(let reason, let failure):
      let (hint, status): (String?, ExitStatus) =
        switch failure {
        case .unavailable: ("check the broker addresses (--brokers, KQ_BROKERS or kafka://...) and that the brokers are up", .unavailable)
        case .unsupported: ("this broker does not offer it", .unavailable)
        case .refused: (nil, .usage)
        case .recordTooLarge: ("the broker's max.message.bytes is lower", .dataError)
        case .deliveryUnknown: ("check the topic before producing again, or records may repeat", .unavailable)
        case .notAuthorized: ("kq does not support TLS or SASL yet", .unavailable)
        case .sessionTimeoutRefused:
          (
            "give --session-timeout within the brokers' group.min.session.timeout.ms and group.max.session.timeout.ms "
              + "(Kafka's defaults: 6s and 30m)", .usage
          )
        case .generationEnded:
          ("the partitions' next owners go on from the group's last commit; run kq again to take part", .temporaryFailure)
        case .notImplemented: ("run it on a data directory with --dir for now", .usage)
        case .interrupted: (nil, .interrupted)
        case .fenced: ("the process that took over goes on from the group's committed offsets; nothing is lost or written twice", .unavailable)
        case .other: (nil, .unavailable)
        }
      self.init(message: reason, hint: hint, status: status)
    case .unsupportedOperation(let operation, let location):
      self.init(
        message: "\(operation) works on a data directory only, and \(location) is not one",
        hint: "run it with --dir on the machine that holds the data", status: .usage)
    }
  }

  static func describe(_ reason: BatchDecodeError) -> String {
    switch reason {
    case .truncated(let needed, let available): "batch cut short (\(available) of \(needed) bytes present)"
    case .invalidLength(let length): "impossible batch length \(length)"
    case .unsupportedMagic(let magic): "unsupported batch format (magic \(magic))"
    case .crcMismatch(let stored, let computed):
      "checksum mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16)))"
    case .malformedRecord(let index): "record \(index) of the batch is malformed"
    case .undecodableRecords(let baseOffset, let error):
      "the compressed records of the batch at offset \(baseOffset) do not decode: \(CompressionDiagnostic.describe(error))"
    case .offsetMismatch(let expected, let found): "batch starts at offset \(found) where offset \(expected) was expected"
    case .inconsistentCount(let delta, let count): "lastOffsetDelta \(delta) does not fit a count of \(count) records"
    case .offsetOverflow(let base, let count): "\(count) records from offset \(base) would pass the largest offset"
    }
  }
}
