import KQLog

/// Committed offsets of every group for one topic (for `describe`).
enum GroupLag {
  struct Entry {
    var group: String
    var partition: Int
    var committed: Int64
  }

  static func committed(for topic: TopicName, partitions: Int, session: Session) throws -> [Entry] {
    guard let service = try session.existingService() else { return [] }
    var entries: [Entry] = []
    for group in try service.groupNames() {
      for (partition, offset) in try service.committedOffsets(group: group, topic: topic).sorted(by: { $0.key < $1.key })
      where partition < partitions {
        entries.append(Entry(group: group.value, partition: partition, committed: offset))
      }
    }
    return entries
  }
}

enum GroupListCommand {
  static func run(_ session: Session) throws {
    let json = session.arguments.has("json")
    let service = try session.existingService()
    let groups = try service?.groupNames() ?? []
    guard json else {
      try session.write(groups.map { $0.value + "\n" }.joined())
      return
    }
    var items: [String] = []
    for group in groups {
      let topics = (try? service?.topics(ofGroup: group)) ?? []
      items.append(
        JSONText.object([
          ("name", JSONText.string(group.value)), ("topics", JSONText.array(topics.map { JSONText.string($0.value) })),
        ]))
    }
    try session.write(JSONText.array(items) + "\n")
  }
}

enum GroupDescribeCommand {
  struct Row {
    var topic: TopicName
    var partition: Int
    var committed: Int64?
    var logStart: Int64
    var end: Int64
    var holder: PartitionHolder?
    var lag: Int64? { committed.map { max(0, end - $0) } }
  }

  static func run(_ session: Session) throws {
    let group = try GroupConsume.groupName(session.arguments.positionals[0], session: session, argument: "GROUP")
    guard let service = try session.existingService() else { throw StorageError.groupNotFound(group.value) }
    var rows: [Row] = []
    for topic in try service.topics(ofGroup: group) {
      guard let config = try? service.config(of: topic) else { continue }
      let committed = try service.committedOffsets(group: group, topic: topic)
      for partition in 0..<config.partitions {
        let summary = try service.summary(of: topic, partition: partition)
        rows.append(
          Row(
            topic: topic, partition: partition, committed: committed[partition], logStart: summary.logStartOffset,
            end: summary.endOffset, holder: service.holder(of: InputPartition(topic: topic, partition: partition), group: group)))
      }
    }
    if session.arguments.has("json") {
      let items = rows.map { row in
        JSONText.object([
          ("topic", JSONText.string(row.topic.value)), ("partition", String(row.partition)),
          ("committed_offset", JSONText.number(row.committed)), ("log_start_offset", String(row.logStart)),
          ("end_offset", String(row.end)), ("lag", JSONText.number(row.lag)),
          ("lease_pid", row.holder.map { $0.processID.map { String($0) } ?? JSONText.string($0.description) } ?? "null"),
        ])
      }
      try session.write(
        JSONText.object([("group", JSONText.string(group.value)), ("partitions", JSONText.array(items))]) + "\n")
      return
    }
    var table = Table(["GROUP", "TOPIC", "PARTITION", "COMMITTED", "LOG-START", "END", "LAG", "LEASE-PID"])
    for row in rows {
      table.add([
        group.value, row.topic.value, String(row.partition), row.committed.map { String($0) } ?? "-", String(row.logStart),
        String(row.end), row.lag.map { String($0) } ?? "-", row.holder.map { holder in holder.processID.map { $0 > 0 ? String($0) : "?" } ?? holder.description } ?? "-",
      ])
    }
    try session.write(table.rendered)
  }
}

enum GroupDeleteCommand {
  static func run(_ session: Session) throws {
    let group = try GroupConsume.groupName(session.arguments.positionals[0], session: session, argument: "GROUP")
    guard let service = try session.existingService() else { throw StorageError.groupNotFound(group.value) }
    try service.deleteGroup(group)
    session.confirm("deleted group \(group)\n")
  }
}
