/// Looking offsets up by position or time (ListOffsets, at the partition leaders).
extension KafkaCluster {
  /// An offset ListOffsets found, with the timestamp of its record for a time lookup.
  package struct ListedOffset: Equatable, Sendable {
    package var offset: Int64
    package var timestamp: Int64?
  }

  /// The earliest or latest offset of a partition, or the first at or after a time; nil when
  /// no record is that late.
  package func offset(of topic: String, partition: Int32, at spec: OffsetSpec) throws(KafkaError) -> ListedOffset? {
    try offsets(of: topic, partitions: [partition], at: spec)[partition] ?? nil
  }

  /// `offset(of:partition:at:)` for several partitions, one request per leader.
  package func offsets(of topic: String, partitions: [Int32], at spec: OffsetSpec) throws(KafkaError)
    -> [Int32: ListedOffset?]
  {
    if case .timestamp(let millis) = spec, millis < 0 {
      throw .invalidArgument("a timestamp to look up must be >= 0, not \(millis)")
    }
    return try retrying("looking up offsets of '\(topic)'") { (deadline) throws(KafkaError) in
      let metadata = try topicMetadata(topic, deadline: deadline)
      var byLeader: [Int32: [Int32]] = [:]
      for partition in partitions {
        guard let entry = metadata.partition(partition) else {
          throw .noSuchPartition(topic: topic, partition: partition, partitionCount: metadata.partitionCount)
        }
        guard let leaderId = entry.leaderId else { throw .noLeader(topic: topic, partition: partition) }
        byLeader[leaderId, default: []].append(partition)
      }
      var found: [Int32: ListedOffset?] = [:]
      for (leaderId, group) in byLeader.sorted(by: { $0.key < $1.key }) {
        let connection = try connection(toNode: leaderId, deadline: deadline)
        let request = ListOffsetsRequest(topic: topic, partitions: group, spec: spec, timeoutMs: timeoutMillis(deadline))
        for result in try connection.request(request, deadline: requestDeadline(deadline)) where group.contains(result.partition) {
          guard result.errorCode.isNone else {
            throw .broker(result.errorCode, subject: .partition(topic: topic, partition: result.partition), message: nil)
          }
          found[result.partition] =
            result.offset >= 0
            ? ListedOffset(offset: result.offset, timestamp: result.timestamp >= 0 ? result.timestamp : nil) : nil
        }
      }
      guard found.count == partitions.count else {
        throw .broker(.unknownServerError, subject: .topic(topic), message: "ListOffsets left out partitions")
      }
      return found
    }
  }
}
