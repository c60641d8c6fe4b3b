import Glibc
import KQStorage

/// The consume loop: partitions read batch by batch in turn, each in offset order, records
/// rendered into one output buffer written in large writes; flushed whenever kq has caught
/// up and is about to wait, so a follower's reader sees each record at once.
final class Consumer {
  static let outputFlushBytes = 1 << 18

  struct Cursor {
    let partition: Int
    let reader: any PartitionReading
    /// The next offset to deliver.
    var next: Int64
    /// Stop before this offset (the end at start without --follow, or --until).
    var stopAt: Int64
    var isDone = false
  }

  let options: ConsumeOptions
  let context: Context
  private(set) var cursors: [Cursor]
  private let printer: RecordPrinter
  private let output = ByteBuffer(capacity: outputFlushBytes + (1 << 16))
  /// Per partition, the next offset after the last record written out (and flushed).
  private(set) var flushedPositions: [Int: Int64] = [:]
  private var bufferedPositions: [Int: Int64] = [:]
  private(set) var delivered = 0
  /// The byte after each value when printing values only (the default and -0), else nil.
  private var plainTerminator: UInt8? {
    switch options.output {
    case .values: 10
    case .nulTerminated: 0
    default: nil
    }
  }
  /// Called after each flush with the positions written so far (group commits), and again
  /// with `force` when a deferred commit is due; returns false when it deferred the commit.
  var onFlush: ((_ positions: [Int: Int64], _ force: Bool) throws -> Bool)?
  /// With group commits, where each buffered record ends in the output, so that a write cut
  /// short by a closed pipe commits exactly the records that got out whole.
  private let tracksRecordEnds: Bool
  private var recordEnds: [(end: Int, partition: Int, next: Int64)] = []
  private var isCommitPending = false
  static let commitIntervalMillis: Int64 = 1000

  init(options: ConsumeOptions, context: Context, cursors: [Cursor], tracksRecordEnds: Bool = false) {
    self.options = options
    self.context = context
    self.cursors = cursors
    self.tracksRecordEnds = tracksRecordEnds
    self.printer = RecordPrinter(output: options.output, topic: options.topic.value)
  }

  enum Ending { case finished, readerGone, interrupted(Int32), idle }

  func run() throws -> Ending {
    do {
      return try consume()
    } catch {
      // Records decoded before the damage are whole: they go out (and a group commits them)
      // before the damage is reported.
      _ = try? flush()
      throw error
    }
  }

  private func consume() throws -> Ending {
    let watcher = options.follow ? try FollowWatcher(paths: cursors.compactMap { $0.reader.watchPath }) : nil
    while true {
      var progressed = false
      for index in cursors.indices where !cursors[index].isDone {
        if try readBatch(index) { progressed = true }
        if let max = options.maxRecords, delivered >= max { return try finish(.finished) }
        if output.count >= Self.outputFlushBytes { guard try flush() else { return stopped() } }
      }
      if let signals = context.signals, let number = signals.pending() { return try finish(.interrupted(number)) }
      if progressed { continue }
      if !options.follow || cursors.allSatisfy({ $0.isDone }) { return try finish(.finished) }
      guard try flush() else { return stopped() }
      guard let watcher else { return .finished }
      let idleDeadline = options.idleMillis.map { context.clock.nowMillis() + $0 }
      waiting: while true {
        var timeout = idleDeadline.map { max(0, $0 - context.clock.nowMillis()) }
        if isCommitPending { timeout = min(timeout ?? Self.commitIntervalMillis, Self.commitIntervalMillis) }
        switch watcher.wait(signals: context.signals, stdout: context.stdout.descriptor, timeoutMillis: timeout) {
        case .changed: break waiting
        case .signal(let number): return try finish(.interrupted(number))
        case .readerGone: return .readerGone
        case .timeout:
          if isCommitPending, let onFlush { isCommitPending = !(try onFlush(flushedPositions, true)) }
          if let idleDeadline, context.clock.nowMillis() >= idleDeadline { return try finish(.idle) }
        }
      }
    }
  }

  private func finish(_ ending: Ending) throws -> Ending {
    guard try flush() else { return stopped() }
    return ending
  }

  /// Why output stopped: a signal that cut a write short, else the reader went away.
  private func stopped() -> Ending {
    if let number = context.signals?.pending() { return .interrupted(number) }
    return .readerGone
  }

  /// Reads one batch of a partition into the output. False when it had nothing new.
  private func readBatch(_ index: Int) throws -> Bool {
    var cursor = cursors[index]
    defer { cursors[index] = cursor }
    if cursor.next >= cursor.stopAt {
      cursor.isDone = true
      return false
    }
    guard let batch = try cursor.reader.nextBatch() else {
      if !options.follow { cursor.isDone = true }
      return false
    }
    let partition = cursor.partition
    let stopAt = cursor.stopAt
    var next = cursor.next
    let limit = options.maxRecords.map { $0 - delivered } ?? Int.max
    var stopTime = Int64.max
    if case .timestamp(let millis) = options.stop { stopTime = millis }
    // The reader checked the batch (`BatchCheck`): lastOffsetDelta = recordCount − 1.
    if !tracksRecordEnds, let terminator = plainTerminator, batch.baseOffset >= next, batch.lastOffset < stopAt, batch.maxTimestamp < stopTime,
      Int(batch.recordCount) <= limit
    {
      // The whole batch is wanted: copy its values without decoding the rest.
      let count: Int
      do { count = try batch.appendValues(into: output, terminator: terminator) } catch {
        throw cursor.reader.damage(error)
      }
      cursor.next = batch.nextOffset
      bufferedPositions[partition] = cursor.next
      delivered += count
      if count >= limit || cursor.next >= stopAt { cursor.isDone = true }
      return true
    }
    var reachedStopTime = false
    var count = 0
    do {
      try batch.forEachRecord { record in
        if record.offset < next { return true }
        if record.offset >= stopAt || count >= limit { return false }
        if record.timestamp >= stopTime {
          reachedStopTime = true
          return false
        }
        try printer.print(record, partition: partition, into: output)
        next = record.offset + 1
        if tracksRecordEnds { recordEnds.append((output.count, partition, next)) }
        count += 1
        return true
      }
    } catch let error as BatchDecodeError {
      throw cursor.reader.damage(error)
    }
    if reachedStopTime { cursor.isDone = true }
    if next < batch.nextOffset && next < stopAt && count < limit && !reachedStopTime { next = batch.nextOffset }
    if count < limit && next >= stopAt { cursor.isDone = true }
    if next > cursor.next { bufferedPositions[partition] = next }
    cursor.next = max(next, cursor.next)
    delivered += count
    if count >= limit { cursor.isDone = true }
    return true
  }

  /// Writes the buffered output. False when stdout's reader has gone (EPIPE).
  func flush() throws -> Bool {
    if output.count > 0 {
      let (written, failure) = context.stdout.writeReportingProgress(output.bytes)
      output.count = 0
      if let failure {
        for mark in recordEnds where mark.end <= written { flushedPositions[mark.partition] = mark.next }
        recordEnds.removeAll(keepingCapacity: true)
        bufferedPositions.removeAll(keepingCapacity: true)
        if failure == .brokenPipe || failure == .interrupted { return false }
        throw StorageError.io(failure, operation: "write", path: "standard output")
      }
    }
    // Every record written out counts, those of a batch cut short by damage too.
    for mark in recordEnds where mark.next > bufferedPositions[mark.partition] ?? Int64.min {
      bufferedPositions[mark.partition] = mark.next
    }
    recordEnds.removeAll(keepingCapacity: true)
    if !bufferedPositions.isEmpty {
      flushedPositions.merge(bufferedPositions) { $1 }
      bufferedPositions.removeAll(keepingCapacity: true)
      if let onFlush { isCommitPending = !(try onFlush(flushedPositions, false)) }
    }
    return true
  }
}
