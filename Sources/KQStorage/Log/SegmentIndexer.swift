import KQLog
/// Decides the index entries of a segment as batches are appended, by Kafka's rule
/// (FORMAT.md, "Indexes"): before a batch, once more than 4 KiB of log was written since the
/// last entry, add `.index` (batch's last offset → batch position) and, when the segment's
/// largest timestamp grew, `.timeindex` (that timestamp → last offset of the batch carrying it).
struct SegmentIndexer {
  let base: Int64
  var bytesSinceLastEntry: Int64 = 0
  /// The largest timestamp in the segment so far, and the last offset of its batch.
  var maxTimestamp: Int64 = Int64.min
  var offsetOfMaxTimestamp: Int64 = -1
  /// The timestamp of the last `.timeindex` entry (entries only grow).
  var lastIndexedTimestamp: Int64 = Int64.min

  init(base: Int64) { self.base = base }

  mutating func willAppend(
    position: Int64, size: Int, lastOffset: Int64, maxTimestamp batchMax: Int64,
    offsetEntries: ByteBuffer, timeEntries: ByteBuffer
  ) {
    if batchMax > maxTimestamp {
      maxTimestamp = batchMax
      offsetOfMaxTimestamp = lastOffset
    }
    if bytesSinceLastEntry > OffsetIndex.intervalBytes {
      OffsetIndex.encode(.init(offset: lastOffset, position: position), base: base, into: offsetEntries)
      appendTimeEntryIfGrown(into: timeEntries)
      bytesSinceLastEntry = 0
    }
    bytesSinceLastEntry += Int64(size)
  }

  /// The `.timeindex` entry added when the segment is sealed, if its largest timestamp grew.
  mutating func appendTimeEntryIfGrown(into timeEntries: ByteBuffer) {
    if maxTimestamp > lastIndexedTimestamp && offsetOfMaxTimestamp >= base {
      TimeIndex.encode(.init(timestamp: maxTimestamp, offset: offsetOfMaxTimestamp), base: base, into: timeEntries)
      lastIndexedTimestamp = maxTimestamp
    }
  }
}
