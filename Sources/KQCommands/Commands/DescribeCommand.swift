import KQLog

enum DescribeCommand {
  static func run(_ session: Session) throws {
    let json = session.arguments.has("json")
    if let text = session.arguments.positionals.first {
      let topic = try session.topicName(text)
      guard let service = try session.existingService() else { throw StorageError.topicNotFound(topic.value) }
      try describeTopic(topic, service: service, json: json, session: session)
    } else {
      try describeDirectory(session: session, json: json)
    }
  }

  private static func describeDirectory(session: Session, json: Bool) throws {
    if case .cluster(let brokers, _) = try session.location() {
      try describeCluster(brokers, service: try session.service(create: false), json: json, session: session)
      return
    }
    let path = try session.dataDirectoryPath()
    let service = try session.existingService()
    var rows: [TopicTotals] = []
    if let service {
      for name in try service.topicNames() { rows.append(try TopicTotals(name, service: service)) }
    }
    if json {
      let topics = rows.map(\.json)
      try session.write(
        JSONText.object([
          ("data_directory", JSONText.string(path)), ("exists", service == nil ? "false" : "true"),
          ("topics", JSONText.array(topics)),
        ]) + "\n")
      return
    }
    var text = "data directory: \(path)\(service == nil ? " (not created yet)" : "")\n"
    if rows.isEmpty {
      text += "no topics yet (create one with 'kq topic create NAME' or 'kq produce NAME --create')\n"
    } else {
      var table = Table(["TOPIC", "PARTITIONS", "RECORDS", "BYTES"])
      for row in rows {
        table.add([row.name.value, String(row.partitions), String(row.records), row.bytesText])
      }
      text += "\n" + table.rendered
    }
    try session.write(text)
  }

  private static func describeCluster(_ brokers: String, service: any LogService, json: Bool, session: Session) throws {
    var rows: [TopicTotals] = []
    for name in try service.topicNames() { rows.append(try TopicTotals(name, service: service)) }
    if json {
      try session.write(
        JSONText.object([("cluster", JSONText.string(brokers)), ("topics", JSONText.array(rows.map(\.json)))]) + "\n")
      return
    }
    var text = "cluster: \(brokers)\n"
    if rows.isEmpty {
      text += "no topics yet (create one with 'kq topic create NAME' or 'kq produce NAME --create')\n"
    } else {
      var table = Table(["TOPIC", "PARTITIONS", "RECORDS"])
      for row in rows { table.add([row.name.value, String(row.partitions), String(row.records)]) }
      text += "\n" + table.rendered
    }
    try session.write(text)
  }

  private static func describeTopic(_ topic: TopicName, service: any LogService, json: Bool, session: Session) throws {
    let config = try service.config(of: topic)
    var summaries: [PartitionSummary] = []
    var surveys: [CompressionSurvey] = []
    for partition in 0..<config.partitions {
      summaries.append(try service.summary(of: topic, partition: partition))
      surveys.append(try service.compressionSurvey(of: topic, partition: partition))
    }
    let lags = try GroupLag.committed(for: topic, partitions: config.partitions, session: session)
    if json {
      let partitions = summaries.map { summary in
        let groups = lags.filter { $0.partition == summary.partition }.map { lag in
          JSONText.object([
            ("group", JSONText.string(lag.group)), ("committed_offset", String(lag.committed)),
            ("lag", String(max(0, summary.endOffset - lag.committed))),
          ])
        }
        var fields = [
          ("partition", String(summary.partition)), ("log_start_offset", String(summary.logStartOffset)),
          ("end_offset", String(summary.endOffset)), ("records", String(summary.records)),
        ]
        // A compacted partition holds fewer records than its offsets span.
        if config.cleanupPolicy.compacts && summary.hasSizes {
          fields.append(("records_kept", String(surveys[summary.partition].records)))
        }
        if let placement = summary.placement {
          fields += [
            ("leader", placement.leader.map { String($0) } ?? "null"),
            ("replicas", JSONText.array(placement.replicas.map { String($0) })),
            ("isr", JSONText.array(placement.inSyncReplicas.map { String($0) })),
          ]
        }
        if !summary.hasSizes { return JSONText.object(fields + [("groups", JSONText.array(groups))]) }
        return JSONText.object(fields + [
          ("bytes", String(summary.bytes)), ("segments", String(summary.segments)),
          ("first_timestamp", JSONText.number(summary.firstTimestamp)),
          ("last_timestamp", JSONText.number(summary.lastTimestamp)),
          ("codecs", surveys[summary.partition].codecsJSON),
          ("compression_ratio", surveys[summary.partition].ratioJSON),
          ("groups", JSONText.array(groups)),
        ])
      }
      let configObject = JSONText.object(TopicConfig.keys.map { key in
        let value = config.value(of: key) ?? ""
        return (key, Int64(value) != nil ? value : JSONText.string(value))
      })
      try session.write(
        JSONText.object([
          ("topic", JSONText.string(topic.value)), ("config", configObject), ("partitions", JSONText.array(partitions)),
        ]) + "\n")
      return
    }
    var text = "topic: \(topic)\n\nconfig:\n"
    for key in TopicConfig.keys {
      let value = config.value(of: key) ?? ""
      var shown = value
      if ConfigSettings.durationKeys.contains(key), let ms = Int64(value) {
        // Int64.max is Kafka's "no limit" for max.compaction.lag.ms.
        shown += " (" + (ms == Int64.max ? "forever" : DurationParsing.format(ms)) + ")"
      }
      if ConfigSettings.sizeKeys.contains(key), let bytes = Int64(value), bytes >= 0 { shown += " (" + ByteSizeParsing.format(bytes) + ")" }
      text += "  \(key)=\(shown)\n"
    }
    if summaries.contains(where: { $0.placement != nil }) {
      text += "\n" + placementTable(summaries).rendered
      try session.write(text + groupTable(lags, summaries: summaries))
      return
    }
    let compacts = config.cleanupPolicy.compacts
    var table = Table(
      ["PARTITION", "LOG-START", "END", "RECORDS"] + (compacts ? ["KEPT"] : [])
        + ["BYTES", "SEGMENTS", "FIRST-TIMESTAMP", "LAST-TIMESTAMP", "CODECS", "RATIO"])
    for s in summaries {
      table.add(
        [String(s.partition), String(s.logStartOffset), String(s.endOffset), String(s.records)]
          + (compacts ? [String(surveys[s.partition].records)] : []) + [String(s.bytes),
        String(s.segments), s.firstTimestamp.map(Timestamps.format) ?? "-", s.lastTimestamp.map(Timestamps.format) ?? "-",
        surveys[s.partition].mixText, surveys[s.partition].ratioText,
      ])
    }
    text += "\n" + table.rendered
    try session.write(text + groupTable(lags, summaries: summaries))
  }

  /// A cluster's partitions: offsets, leader, replicas and those in sync, by broker id.
  private static func placementTable(_ summaries: [PartitionSummary]) -> Table {
    var table = Table(["PARTITION", "LOG-START", "END", "RECORDS", "LEADER", "REPLICAS", "ISR"])
    for s in summaries {
      let ids = { (list: [Int32]) in list.isEmpty ? "-" : list.map { String($0) }.joined(separator: ",") }
      table.add([
        String(s.partition), String(s.logStartOffset), String(s.endOffset), String(s.records),
        s.placement?.leader.map { String($0) } ?? "-", ids(s.placement?.replicas ?? []),
        ids(s.placement?.inSyncReplicas ?? []),
      ])
    }
    return table
  }

  /// Each group's committed offset and lag per partition, after a blank line; "" without groups.
  private static func groupTable(_ lags: [GroupLag.Entry], summaries: [PartitionSummary]) -> String {
    guard !lags.isEmpty else { return "" }
    var groups = Table(["GROUP", "PARTITION", "COMMITTED", "END", "LAG"])
    for lag in lags {
      let end = summaries[lag.partition].endOffset
      groups.add([lag.group, String(lag.partition), String(lag.committed), String(end), String(max(0, end - lag.committed))])
    }
    return "\n" + groups.rendered
  }
}
