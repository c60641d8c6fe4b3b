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
    let topics = try service.topics(ofGroup: group)
    // A cluster's coordinator describes the members (and who owns which partition) at once.
    let live = try service.members(of: group)
    func holder(of partition: InputPartition) -> PartitionHolder? {
      guard let live else { return service.holder(of: partition, group: group) }
      return live.owner(of: partition).map { PartitionHolder(description: $0.memberId) }
    }
    for topic in topics {
      guard let config = try? service.config(of: topic) else { continue }
      let committed = try service.committedOffsets(group: group, topic: topic)
      for partition in 0..<config.partitions {
        let summary = try service.summary(of: topic, partition: partition)
        rows.append(
          Row(
            topic: topic, partition: partition, committed: committed[partition], logStart: summary.logStartOffset,
            end: summary.endOffset, holder: holder(of: InputPartition(topic: topic, partition: partition))))
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
      var fields = [("group", JSONText.string(group.value)), ("partitions", JSONText.array(items))]
      if let live { fields += [("state", JSONText.string(live.state)), ("members", JSONText.array(live.members.map(Self.json)))] }
      try session.write(JSONText.object(fields) + "\n")
      return
    }
    var table = Table(["GROUP", "TOPIC", "PARTITION", "COMMITTED", "LOG-START", "END", "LAG", "LEASE-PID"])
    for row in rows {
      table.add([
        group.value, row.topic.value, String(row.partition), row.committed.map { String($0) } ?? "-", String(row.logStart),
        String(row.end), row.lag.map { String($0) } ?? "-", row.holder.map { holder in holder.processID.map { $0 > 0 ? String($0) : "?" } ?? holder.description } ?? "-",
      ])
    }
    var text = table.rendered
    if let live, !live.members.isEmpty {
      var members = Table(["MEMBER-ID", "CLIENT-ID", "HOST", "PARTITIONS"])
      for member in live.members {
        // A coordinator may leave client id and host empty (Tansu 0.6.0 does).
        members.add([
          member.memberId, member.clientId.isEmpty ? "-" : member.clientId, member.host.isEmpty ? "-" : member.host,
          Self.partitionList(member.partitions),
        ])
      }
      text += "\n" + members.rendered
    }
    try session.write(text)
  }

  /// "t:0,1 u:3"; "?" when the coordinator did not say; "-" for none.
  static func partitionList(_ partitions: [InputPartition]?) -> String {
    guard let partitions else { return "?" }
    guard !partitions.isEmpty else { return "-" }
    var byTopic: [(topic: String, partitions: [Int])] = []
    for partition in partitions {
      if byTopic.last?.topic == partition.topic.value {
        byTopic[byTopic.count - 1].partitions.append(partition.partition)
      } else {
        byTopic.append((partition.topic.value, [partition.partition]))
      }
    }
    return byTopic.map { "\($0.topic):" + $0.partitions.map(String.init).joined(separator: ",") }.joined(separator: " ")
  }

  static func json(_ member: GroupMembers.Member) -> String {
    let partitions = member.partitions.map { list in
      JSONText.array(list.map { JSONText.object([("topic", JSONText.string($0.topic.value)), ("partition", String($0.partition))]) })
    }
    return JSONText.object([
      ("member_id", JSONText.string(member.memberId)), ("client_id", JSONText.string(member.clientId)),
      ("host", JSONText.string(member.host)), ("partitions", partitions ?? "null"),
    ])
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
