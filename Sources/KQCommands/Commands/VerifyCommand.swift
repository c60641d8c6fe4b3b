import KQLog

/// `kq verify [TOPIC...] [--repair] [--json]`: prints each finding and repair, then a summary;
/// exits 74 when a problem (not a notice) was found.
enum VerifyCommand {
  static func run(_ session: Session) throws -> ExitStatus {
    let json = session.arguments.has("json")
    let repair = session.arguments.has("repair")
    var requested: [TopicName]?
    if !session.arguments.positionals.isEmpty {
      requested = try session.arguments.positionals.map { try session.topicName($0) }
    }
    let opened = try session.service(create: false)
    guard let service = opened as? any LogVerifying else {
      throw StorageError.unsupportedOperation("kq verify", location: opened.location)
    }
    if let requested {
      let existing = Set(try service.topicNames())
      for topic in requested where !existing.contains(topic) { throw StorageError.topicNotFound(topic.value) }
    }
    let progress = session.context.stderrIsInteractive ? ProgressLine(context: session.context) : nil
    let report = try service.verify(topics: requested, repair: repair) { step in
      progress?.update(label: "\(step.topic)-\(step.partition)", bytes: step.bytesChecked)
    }
    progress?.finish()
    var text = ""
    for finding in report.findings {
      text += json ? VerifyText.json(finding) + "\n" : VerifyText.line(finding) + "\n"
    }
    for action in report.repairs {
      text += json ? VerifyText.json(action) + "\n" : VerifyText.line(action) + "\n"
    }
    text += json ? VerifyText.summaryJSON(report) + "\n" : VerifyText.summary(report, repaired: repair) + "\n"
    try session.write(text)
    return report.problems.isEmpty ? .success : .ioError
  }
}

/// The words for what `kq verify` found and did.
enum VerifyText {
  static func place(_ topic: String?, _ partition: Int?) -> String {
    guard let topic else { return "" }
    return partition.map { "\(topic)-\($0): " } ?? "\(topic): "
  }

  static func offsets(_ range: Range<Int64>) -> String {
    range.count == 1 ? "offset \(range.lowerBound)" : "offsets \(range.lowerBound) to \(range.upperBound - 1)"
  }

  static func message(_ finding: VerifyFinding) -> String {
    let at = finding.position.map { " at byte \($0)" } ?? ""
    switch finding.kind {
    case .damagedBatch(let reason, let first, let end):
      let lost = end.map { $0 > first ? offsets(first..<$0) : "offset \(first)" } ?? "offsets from \(first) on"
      return "damaged record batch in \(finding.file)\(at): \(Diagnostic.describe(reason)); \(lost) cannot be read"
    case .damagedRecord(let why): return "damaged record in \(finding.file)\(at): \(why)"
    case .offsetGap(let expected, let found):
      return expected < found
        ? "\(finding.file) begins at offset \(found), but the segment before it ends at offset \(expected): "
          + "\(offsets(expected..<found)) are missing"
        : "\(finding.file) begins at offset \(found), inside the segment before it (which ends at \(expected))"
    case .tornTail(let bytes):
      return "notice: \(bytes) bytes of an unfinished write at the end of \(finding.file)\(at) (the next writer cuts them)"
    case .indexBehind: return "notice: \(finding.file) lacks its last entries (the next writer or --repair rebuilds it)"
    case .indexMismatch: return "\(finding.file) disagrees with its log (--repair rebuilds it)"
    case .unreadableListMismatch: return "\(finding.file) does not match the gaps between segments"
    case .badFile(let why): return "damaged file \(finding.file): \(why)"
    case .missingPartition: return "partition folder \(finding.file) is missing"
    case .badCheckpoint: return "damaged checkpoint in \(finding.file)"
    case .pastLogEnd(let offset, let end): return "\(finding.file) names offset \(offset), past the log end \(end)"
    case .unreadable(let errno): return "cannot read \(finding.file): \(errno)"
    case .leftover:
      return "\(finding.file) was left by an interrupted topic create, alter or delete "
        + "(--repair removes it, as the deletion would have)"
    }
  }

  static func kind(_ finding: VerifyFinding) -> String {
    switch finding.kind {
    case .damagedBatch: "damaged_batch"
    case .damagedRecord: "damaged_record"
    case .offsetGap: "offset_gap"
    case .tornTail: "torn_tail"
    case .indexBehind: "index_behind"
    case .indexMismatch: "index_mismatch"
    case .unreadableListMismatch: "unreadable_list_mismatch"
    case .badFile: "damaged_file"
    case .missingPartition: "missing_partition"
    case .badCheckpoint: "damaged_checkpoint"
    case .pastLogEnd: "past_log_end"
    case .unreadable: "unreadable"
    case .leftover: "leftover"
    }
  }

  static func line(_ finding: VerifyFinding) -> String { place(finding.topic, finding.partition) + message(finding) }

  static func json(_ finding: VerifyFinding) -> String {
    var fields: [(String, String)] = [
      ("kind", JSONText.string(kind(finding))), ("notice", finding.isNotice ? "true" : "false"),
      ("topic", finding.topic.map(JSONText.string) ?? "null"),
      ("partition", finding.partition.map { String($0) } ?? "null"), ("file", JSONText.string(finding.file)),
      ("position", JSONText.number(finding.position)), ("message", JSONText.string(message(finding))),
    ]
    if case .damagedBatch(_, let first, let end) = finding.kind {
      fields += [("first_unreadable_offset", String(first)), ("end_unreadable_offset", JSONText.number(end))]
    }
    return JSONText.object(fields)
  }

  static func message(_ action: RepairAction) -> String {
    switch action.kind {
    case .cutTornTail(let bytes): "repaired: cut \(bytes) bytes of an unfinished write from \(action.file)"
    case .rebuiltIndex: "repaired: rebuilt \(action.file) from its log"
    case .movedAside(let target, let unreadable):
      "repaired: moved damaged data of \(action.file) to \(target)"
        + (unreadable.map { "; \(offsets($0)) are now unreadable" } ?? "")
    case .startedSegment(let base): "repaired: writers continue at offset \(base) (\(action.file))"
    case .rewroteUnreadableList: "repaired: listed the unreadable offsets in \(action.file)"
    case .resetCheckpoint: "repaired: reset the checkpoint in \(action.file) (the next writer checks every segment)"
    case .rewroteFile(let kept): "repaired: rewrote \(action.file) from what could be read (the damaged one kept as \(kept))"
    case .createdFolder: "repaired: created the missing empty partition folder \(action.file)"
    case .removedLeftovers: "repaired: removed what an interrupted topic operation left (\(action.file))"
    }
  }

  static func line(_ action: RepairAction) -> String { place(action.topic, action.partition) + message(action) }

  static func json(_ action: RepairAction) -> String {
    var fields: [(String, String)] = [
      ("kind", JSONText.string("repair")), ("topic", action.topic.map(JSONText.string) ?? "null"),
      ("partition", action.partition.map { String($0) } ?? "null"), ("file", JSONText.string(action.file)),
      ("message", JSONText.string(message(action))),
    ]
    if case .movedAside(let target, let unreadable) = action.kind {
      fields.append(("moved_to", JSONText.string(target)))
      if let unreadable {
        fields += [("first_unreadable_offset", String(unreadable.lowerBound)), ("end_unreadable_offset", String(unreadable.upperBound))]
      }
    }
    return JSONText.object(fields)
  }

  static func summary(_ report: VerifyReport, repaired: Bool) -> String {
    let problems = report.problems.count
    let notices = report.findings.count - problems
    var text = "checked \(report.topicsChecked) topic\(report.topicsChecked == 1 ? "" : "s"), "
      + "\(report.partitionsChecked) partition\(report.partitionsChecked == 1 ? "" : "s"), "
      + "\(report.segmentsChecked) segment\(report.segmentsChecked == 1 ? "" : "s"), "
      + "\(ByteSizeParsing.format(report.bytesChecked)): "
      + (problems == 0 ? "no problems" : "\(problems) problem\(problems == 1 ? "" : "s")")
    if notices > 0 { text += ", \(notices) notice\(notices == 1 ? "" : "s")" }
    if repaired { text += "; \(report.repairs.count) repair\(report.repairs.count == 1 ? "" : "s")" }
    if problems > 0 && !repaired { text += " (run 'kq verify --repair' to repair what is safe)" }
    return text
  }

  static func summaryJSON(_ report: VerifyReport) -> String {
    JSONText.object([
      ("kind", JSONText.string("summary")), ("topics", String(report.topicsChecked)),
      ("partitions", String(report.partitionsChecked)), ("segments", String(report.segmentsChecked)),
      ("bytes", String(report.bytesChecked)), ("problems", String(report.problems.count)),
      ("notices", String(report.findings.count - report.problems.count)), ("repairs", String(report.repairs.count)),
    ])
  }
}
