/// What `describe` shows of a partition.
package struct PartitionSummary: Equatable, Sendable {
  package var partition: Int
  package var logStartOffset: Int64
  package var endOffset: Int64
  package var bytes: Int64
  package var segments: Int
  package var firstTimestamp: Int64?
  package var lastTimestamp: Int64?
  /// Whether `bytes` and `segments` are known (a cluster does not say them).
  package var hasSizes = true
  /// The partition's leader and replicas, on a cluster.
  package var placement: PartitionPlacement?
  package var records: Int64 { endOffset - logStartOffset }

  package init(
    partition: Int, logStartOffset: Int64, endOffset: Int64, bytes: Int64, segments: Int, firstTimestamp: Int64?,
    lastTimestamp: Int64?
  ) {
    self.partition = partition
    self.logStartOffset = logStartOffset
    self.endOffset = endOffset
    self.bytes = bytes
    self.segments = segments
    self.firstTimestamp = firstTimestamp
    self.lastTimestamp = lastTimestamp
  }
}

/// Where a partition lives on a cluster: its leader, its replicas and those in sync, by broker
/// id (nil leader: none at the moment).
package struct PartitionPlacement: Equatable, Sendable {
  package var leader: Int32?
  package var replicas: [Int32]
  package var inSyncReplicas: [Int32]

  package init(leader: Int32?, replicas: [Int32], inSyncReplicas: [Int32]) {
    self.leader = leader
    self.replicas = replicas
    self.inSyncReplicas = inSyncReplicas
  }
}
