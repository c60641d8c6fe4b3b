/// What `describe` shows of a partition.
package struct PartitionSummary: Equatable, Sendable {
  package var partition: Int
  package var logStartOffset: Int64
  package var endOffset: Int64
  package var bytes: Int64
  package var segments: Int
  package var firstTimestamp: Int64?
  package var lastTimestamp: Int64?
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
