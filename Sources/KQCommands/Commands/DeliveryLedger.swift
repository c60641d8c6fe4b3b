/// Where each record written to stdout ends, in bytes counted from the start of the run, so
/// that a group commits only the records its reader took. Bytes a pipe took are not yet read:
/// while they sit in the pipe, and for good when the reader has gone (`| head -1`), the
/// records in them are not delivered. Marks are appended per record without allocating (the
/// array keeps its capacity) and dropped in bulk once delivered.
final class DeliveryLedger {
  private var marks: [(end: Int, partition: Int, next: Int64)] = []
  private var firstPending = 0
  /// Per partition, the offset after the last record delivered: what the group commits.
  private(set) var positions: [Int: Int64] = [:]

  /// Whether records were written whose bytes are not all delivered yet.
  var hasPending: Bool { firstPending < marks.count }

  /// A record (or a gap the log skips) that ends `end` bytes into the output; once those
  /// bytes are delivered, `partition` resumes at `next`.
  @inline(__always)
  func record(end: Int, partition: Int, next: Int64) {
    marks.append((end, partition, next))
  }

  /// Delivers every record whose bytes all lie within the first `bytes` of the output.
  func deliver(upTo bytes: Int) {
    var index = firstPending
    while index < marks.count && marks[index].end <= bytes {
      positions[marks[index].partition] = marks[index].next
      index += 1
    }
    firstPending = index
    if firstPending == marks.count {
      marks.removeAll(keepingCapacity: true)
      firstPending = 0
    } else if firstPending >= 4096 && firstPending * 2 >= marks.count {
      marks.removeFirst(firstPending)
      firstPending = 0
    }
  }

  /// Forgets the records not delivered: their bytes never reached the reader.
  func discardPending() {
    marks.removeAll(keepingCapacity: true)
    firstPending = 0
  }

  /// Forgets `partitions` (a rebalance took them, or restarts them from the group's commit):
  /// their position, and their records not delivered yet, which another reader gets again.
  func forget(_ partitions: Set<Int>) {
    guard !partitions.isEmpty else { return }
    for partition in partitions { positions[partition] = nil }
    marks = marks[firstPending...].filter { !partitions.contains($0.partition) }
    firstPending = 0
  }
}
