import KQLog

/// One input partition of `kq pipe`: its reader, where it goes on, the ranges to process again
/// first (`InputResume.replays`), and how batches are cut from it.
final class PipeInput {
  let input: InputPartition
  let reader: any PartitionReading
  let printer: RecordPrinter
  /// Where warnings about offsets retention removed go.
  let context: Context
  /// The next offset to read.
  private(set) var next: Int64
  /// Stop before this offset (the end at start, without -f).
  let stopAt: Int64
  private var replays: [Range<Int64>]
  private(set) var isDone = false
  /// A batch the reader returned whose records from `next` on did not fit in the last batch:
  /// the next one starts with it (valid until the reader's next call, and kept until then).
  private var heldView: RecordBatchView?
  var hasReplays: Bool { !replays.isEmpty }
  /// The byte after each value when CMD gets values only (lines, -0), else nil.
  private let plainTerminator: UInt8?
  /// With `--each`: where each record's bytes end in the batch, and its offset.
  private(set) var recordEnds: [(end: Int, offset: Int64)] = []

  init(
    input: InputPartition, reader: any PartitionReading, framing: ConsumeOptions.Output, resume: InputResume, stopAt: Int64,
    context: Context
  ) {
    self.input = input
    self.context = context
    self.reader = reader
    self.printer = RecordPrinter(output: framing, topic: input.topic.value)
    switch framing {
    case .values: plainTerminator = 10
    case .nulTerminated: plainTerminator = 0
    default: plainTerminator = nil
    }
    self.replays = resume.replays
    self.next = resume.replays.first?.lowerBound ?? resume.offset
    self.stopAt = stopAt
  }

  /// A batch read into `buffer`: its input range (offsets `range`, records `first` to `last`)
  /// and record count. `range` covers offsets without records too (control batches, gaps),
  /// so that ranges follow each other without holes.
  struct Batch {
    var range: Range<Int64>
    var first: Int64
    var last: Int64
    var count: Int
    /// A range `resume` returned: processed again exactly as it was.
    var isReplay: Bool
  }

  /// Reads the next batch into `buffer` (emptied first): the next replay whole, else up to
  /// `maxRecords` records and about `maxBytes` bytes (at least one record). Nil when there is
  /// nothing new now.
  func nextBatch(into buffer: ByteBuffer, maxRecords: Int, maxBytes: Int, tracksRecords: Bool, follow: Bool) throws -> Batch? {
    buffer.count = 0
    recordEnds.removeAll(keepingCapacity: true)
    if let replay = replays.first {
      replays.removeFirst()
      try reader.seek(to: replay.lowerBound)
      heldView = nil
      next = replay.lowerBound
      var batch = try fill(buffer, until: replay.upperBound, maxRecords: Int.max, maxBytes: Int.max, tracksRecords: tracksRecords, follow: false)
      batch.range = replay
      batch.isReplay = true
      next = replay.upperBound
      if heldView == nil && reader.position != next {
        try reader.seek(to: next)
      }
      return batch
    }
    if next >= stopAt {
      isDone = true
      return nil
    }
    let batch = try fill(buffer, until: stopAt, maxRecords: maxRecords, maxBytes: maxBytes, tracksRecords: tracksRecords, follow: follow)
    return batch.count > 0 ? batch : nil
  }

  private func fill(
    _ buffer: ByteBuffer, until end: Int64, maxRecords: Int, maxBytes: Int, tracksRecords: Bool, follow: Bool
  ) throws -> Batch {
    let start = next
    var count = 0
    var first: Int64 = -1
    var last: Int64 = -1
    let partition = input.partition
    while count < maxRecords && buffer.count < maxBytes && next < end {
      let read: RecordBatchView?
      if let held = heldView {
        read = held
        heldView = nil
      } else {
        read = try reader.nextBatch()
        if reader.hasLostOffsets {
          let cursor = Consumer.Cursor(partition: partition, reader: reader, next: next, stopAt: end)
          Consumer.warnAboutLostOffsets(cursor, context: context)
        }
      }
      guard let view = read else {
        // Past batches the reader passed over (control batches: transaction markers), so that
        // the range, and the commit after it, covers them.
        if count > 0 { next = max(next, min(reader.position, end)) }
        if !follow && end == stopAt { isDone = true }
        break
      }
      var position = next
      var full = false
      // The whole batch is wanted: its values are copied without decoding the rest, as
      // consume does; when they do not fit, the batch waits for the next one.
      if let terminator = plainTerminator, !tracksRecords, view.baseOffset >= position, view.lastOffset < end,
        Int(view.recordCount) <= maxRecords - count, view.lastOffsetDelta + 1 == view.recordCount, view.recordCount > 0
      {
        if buffer.count + view.size > maxBytes && count > 0 {
          heldView = view
          break
        }
        let copied: Int
        do { copied = try view.appendValues(into: buffer, terminator: terminator) } catch {
          throw reader.damage(error)
        }
        if first < 0 { first = view.baseOffset }
        last = view.lastOffset
        count += copied
        next = view.nextOffset
        continue
      }
      do {
        try view.forEachRecord { record in
          if record.offset < position { return true }
          if record.offset >= end { return false }
          if count >= maxRecords || (count > 0 && buffer.count >= maxBytes) {
            full = true
            return false
          }
          let before = buffer.count
          try printer.print(record, partition: partition, into: buffer)
          if count > 0 && buffer.count > maxBytes {
            buffer.count = before
            full = true
            return false
          }
          if tracksRecords { recordEnds.append((buffer.count, record.offset)) }
          if first < 0 { first = record.offset }
          last = record.offset
          position = record.offset + 1
          count += 1
          return true
        }
      } catch let error as BatchDecodeError {
        throw reader.damage(error)
      }
      if !full && position < view.nextOffset { position = min(view.nextOffset, end) }
      next = position
      if full || position < view.nextOffset {
        heldView = view  // its other records start the next batch, without a seek
        break
      }
    }
    return Batch(range: start..<max(next, start), first: first, last: last, count: count, isReplay: false)
  }
}
