import Glibc
import KQLog

/// The consume loop: partitions read batch by batch in turn, each in offset order, records
/// rendered into one output buffer written in large writes; flushed whenever kq has caught
/// up and is about to wait, so a follower's reader sees each record at once. Plain values of
/// local partitions to a regular file or /dev/null take the bulk path (`BatchValueWriter`):
/// whole batches are gathered unchecked and checked, copied and written on two threads.
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
  /// The records of a compressed batch of which `bulk` wanted only part, decoded here.
  private let partDecoded = ByteBuffer(capacity: 0)
  private var output = ByteBuffer(capacity: outputBufferCapacity)
  static let outputBufferCapacity = outputFlushBytes + (1 << 16)
  /// Writes full buffers to a regular file on a second thread while the next fills (nil for
  /// any other stdout, and with group commits, whose ledger counts bytes as they are written).
  private let writer: OutputWriterThread?
  /// Whole batches of local partitions, printed as plain values to a regular file or /dev/null,
  /// go through here: checked, copied and written on two threads taking turns (nil otherwise,
  /// and from the first batch that fails its checks on).
  private var bulk: BatchValueWriter?
  /// Bytes written to stdout so far, before those in `output`.
  private var bytesWritten = 0
  private(set) var delivered = 0
  /// The byte after each value when printing values only (the default and -0), else nil.
  private var plainTerminator: UInt8? { Self.plainTerminator(for: options.output) }
  private static func plainTerminator(for output: ConsumeOptions.Output) -> UInt8? {
    switch output {
    case .values: 10
    case .nulTerminated: 0
    default: nil
    }
  }
  /// Called after each flush with the positions delivered so far (group commits), and again
  /// with `force` when a deferred commit is due; returns false when it deferred the commit.
  var onFlush: ((_ positions: [Int: Int64], _ force: Bool) throws -> Bool)?
  /// The one warning while a cluster cannot be reached (`OutageWarning`).
  let outageWarning = OutageWarning()
  /// With group commits, where each record ends in the output, so that the group commits
  /// exactly the records its reader took (nil without group commits).
  private let ledger: DeliveryLedger?
  /// Per partition, the offset after the last record delivered to the reader.
  var deliveredPositions: [Int: Int64] { ledger?.positions ?? [:] }
  private var isCommitPending = false
  static let commitIntervalMillis: Int64 = 1000

  /// Wakes a follower (--follow) when records may have arrived; nil without --follow.
  private var watcher: FollowWatcher?
  /// A group on a cluster, whose partitions may move to or from this member mid-run.
  var rebalance: GroupRebalance?

  init(options: ConsumeOptions, context: Context, cursors: [Cursor], watcher: FollowWatcher?, tracksRecordEnds: Bool = false) {
    self.options = options
    self.watcher = watcher
    self.context = context
    self.cursors = cursors
    self.ledger = tracksRecordEnds ? DeliveryLedger() : nil
    self.printer = RecordPrinter(output: options.output, topic: options.topic.value)
    let readsLocally = !cursors.isEmpty && cursors.allSatisfy { $0.reader.offersUncheckedBatches }
    if !tracksRecordEnds, readsLocally, let terminator = Self.plainTerminator(for: options.output) {
      self.bulk = BatchValueWriter.forFileOrNull(context.stdout, terminator: terminator)
    }
    self.writer =
      tracksRecordEnds || bulk != nil
      ? nil : OutputWriterThread.forRegularFile(context.stdout, bufferCapacity: Self.outputBufferCapacity)
  }

  enum Ending { case finished, readerGone, interrupted(Int32), idle }

  func run() throws -> Ending {
    do {
      return try consume()
    } catch {
      // Records decoded before the damage are whole: they go out (and a group commits them)
      // before the damage is reported. The reader is still there: what stdout took is its.
      if (try? flush()) == true { ledger?.deliver(upTo: bytesWritten) }
      throw error
    }
  }

  private func consume() throws -> Ending {
    while true {
      if let rebalance, rebalance.isDue { guard try follow(rebalance) else { return stopped() } }
      var progressed = false
      for index in cursors.indices where !cursors[index].isDone {
        if try readBatch(index) { progressed = true }
        if bulk?.hasFailed == true, try settleBulk() { continue }
        if let max = options.maxRecords, delivered >= max {
          if try settleBulk() { continue }
          return try finish(.finished)
        }
        if output.count >= Self.outputFlushBytes { guard try flush(waiting: false) else { return stopped() } }
      }
      if let signals = context.signals, let number = signals.pending() { return try finish(.interrupted(number)) }
      if progressed { continue }
      // A follower the group gave no partition waits for the next rebalance.
      let isWaitingForPartitions = cursors.isEmpty && rebalance != nil
      if try settleBulk() { continue }
      if !options.follow || (cursors.allSatisfy({ $0.isDone }) && !isWaitingForPartitions) { return try finish(.finished) }
      guard try flush() else { return stopped() }
      guard let watcher else { return .finished }
      // --idle may be any positive duration: a deadline past Int64.max is no deadline.
      let idleDeadline = options.idleMillis.flatMap { idle -> Int64? in
        let (deadline, overflow) = context.clock.nowMillis().addingReportingOverflow(idle)
        return overflow ? nil : deadline
      }
      waiting: while true {
        var timeout = idleDeadline.map { max(0, RecordTimestamp.span(from: context.clock.nowMillis(), to: $0)) }
        // A deferred commit, or records in a pipe not read yet, are looked at again in a second.
        if isCommitPending || ledger?.hasPending == true {
          timeout = min(timeout ?? Self.commitIntervalMillis, Self.commitIntervalMillis)
        }
        let wake = watcher.wait(
          signals: context.signals, stdout: context.stdout.descriptor, timeoutMillis: timeout, rebalance: rebalance?.descriptor)
        if let notice = watcher.takeNotice() {
          outageWarning.warn(notice, to: context.stderr)
        } else if !watcher.isCutOff {
          outageWarning.clear()
        }
        switch wake {
        case .changed: break waiting
        case .signal(let number): return try finish(.interrupted(number))
        case .readerGone: return readerGone()
        case .timeout:
          if ledger?.hasPending == true { _ = try flush() }  // nothing buffered: delivers what the reader read
          // A commit waits while the cluster is out of reach (it would block for --broker-timeout).
          if isCommitPending, !watcher.isCutOff, let onFlush { isCommitPending = !(try onFlush(deliveredPositions, true)) }
          if let idleDeadline, context.clock.nowMillis() >= idleDeadline { return try finish(.idle) }
        }
      }
    }
  }

  /// Commits what the reader took (dropped when the generation has already ended), joins
  /// again and goes on with the new assignment. False when stdout's reader has gone or a
  /// signal cut the flush short.
  private func follow(_ rebalance: GroupRebalance) throws -> Bool {
    guard try flush() else { return false }
    if let onFlush { _ = try onFlush(deliveredPositions, true) }
    isCommitPending = false
    guard let outcome = try rejoinWaitingOutOutages(rebalance) else { return false }
    ledger?.forget(outcome.restarted)
    cursors = outcome.cursors
    watcher = outcome.watcher
    return true
  }

  /// `rebalance.rejoin`, tried again with backoff (100 ms doubling to 1 s) while following and
  /// the cluster cannot be reached, as the follower's polls wait a broker restart out; nil
  /// when a signal came meanwhile.
  private func rejoinWaitingOutOutages(_ rebalance: GroupRebalance) throws -> GroupRebalance.Outcome? {
    var pause: Int32 = 100
    while true {
      do {
        return try rebalance.rejoin(keeping: cursors)
      } catch StorageError.cluster(let reason, .unavailable) where options.follow {
        outageWarning.warn(OutageWarning.text(for: reason), to: context.stderr)
        var entries = context.signals.map { [pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0)] } ?? []
        _ = poll(&entries, nfds_t(entries.count), pause)
        if context.signals?.isPending == true { return nil }
        pause = min(pause * 2, 1000)
      }
    }
  }

  /// Ends the run with the reader still there: what stdout took is the reader's to read.
  private func finish(_ ending: Ending) throws -> Ending {
    guard try flush() else { return stopped() }
    ledger?.deliver(upTo: bytesWritten)
    return ending
  }

  /// Why output stopped: a signal that cut a write short (the reader is still there, and
  /// what the pipe took is its), else the reader went away.
  private func stopped() -> Ending {
    if let number = context.signals?.pending() {
      ledger?.deliver(upTo: bytesWritten)
      return .interrupted(number)
    }
    return readerGone()
  }

  /// The reader has gone: what it left unread in the pipe was never delivered.
  private func readerGone() -> Ending {
    ledger?.deliver(upTo: bytesWritten - context.stdout.unreadBytes)
    ledger?.discardPending()
    return .readerGone
  }

  /// Writes what `bulk` gathered and waits for it. When a batch failed its checks there, every
  /// cursor goes back to its first record not written and reads on the checked way, which
  /// reports the damage after the records before it (true: the loop goes on). A failed write
  /// throws.
  private func settleBulk() throws -> Bool {
    guard let bulk else { return false }
    bytesWritten += bulk.finish()
    guard let failure = bulk.takeFailure() else { return false }
    self.bulk = nil
    if let error = failure.writeFailure { throw StorageError.io(error, operation: "write", path: "standard output") }
    for index in cursors.indices {
      if let unwritten = failure.unwritten[index] {
        cursors[index].next = unwritten.offset
        delivered -= unwritten.records
      }
      cursors[index].isDone = false
      try cursors[index].reader.seek(to: cursors[index].next)
    }
    return true
  }

  /// Reads one batch of a partition into the output. False when it had nothing new.
  private func readBatch(_ index: Int) throws -> Bool {
    var cursor = cursors[index]
    defer { cursors[index] = cursor }
    if cursor.next >= cursor.stopAt {
      cursor.isDone = true
      return false
    }
    var unchecked: UncheckedBatch?
    let read: RecordBatchView?
    if bulk != nil {
      unchecked = try cursor.reader.nextUncheckedBatch()
      read = unchecked?.view
    } else {
      read = try cursor.reader.nextBatch()
    }
    if cursor.reader.hasLostOffsets { Self.warnAboutLostOffsets(cursor, context: context) }
    if let rewind = cursor.reader.takeLogRewind() {
      Self.warn(about: rewind, &cursor, context: context)
      if rewind.topicCreatedAgain { rebalance?.commits.forgetCommit(partition: cursor.partition) }
      ledger?.record(end: bytesWritten + output.count, partition: cursor.partition, next: rewind.end)
    }
    guard var batch = read else {
      if !options.follow { cursor.isDone = true }
      return false
    }
    let partition = cursor.partition
    let stopAt = cursor.stopAt
    var next = cursor.next
    let limit = options.maxRecords.map { $0 - delivered } ?? Int.max
    // --until TIME, if given: any timestamp, Int64.max included, is a record's, never "none".
    var stopTime: Int64?
    if case .timestamp(let millis) = options.stop { stopTime = millis }
    // The reader checked the batch (`BatchCheck`); a cleaned batch may hold fewer records than
    // offsets, so what was delivered is counted from the values copied, the position from nextOffset.
    let isWholeBatchOfValues =
      ledger == nil && plainTerminator != nil && batch.baseOffset >= next && batch.lastOffset < stopAt
      && (stopTime.map({ batch.maxTimestamp < $0 }) ?? true) && Int(batch.recordCount) <= limit
    if let bulk, let unchecked {
      if isWholeBatchOfValues {
        // What the output holds (records of part of a batch) goes out before the batch.
        if output.count > 0 { guard try flush() else { return false } }
        let count = Int(batch.recordCount)
        bulk.add(unchecked, cursor: index, records: count)
        cursor.next = batch.nextOffset
        delivered += count
        if count >= limit || cursor.next >= stopAt { cursor.isDone = true }
        return true
      }
      // Part of the batch is wanted: what was gathered goes out first, then this batch is
      // checked here and printed record by record below. A failure there is `settleBulk`'s.
      bytesWritten += bulk.finish()
      if bulk.hasFailed { return true }
      guard (try? batch.validateCRC()) != nil else {
        // Read again the checked way, which reports the damage.
        self.bulk = nil
        try cursor.reader.seek(to: cursor.next)
        return true
      }
      if batch.compressionCodec != 0 {
        do throws(BatchDecodeError) {
          batch = try batch.decompressed(into: partDecoded, maxMessageBytes: unchecked.maxMessageBytes)
        } catch {
          throw cursor.reader.damage(error)
        }
      }
    }
    if isWholeBatchOfValues, let terminator = plainTerminator {
      // The whole batch is wanted: copy its values without decoding the rest.
      let mark = output.count
      if let count = try? batch.appendValues(into: output, terminator: terminator) {
        cursor.next = batch.nextOffset
        delivered += count
        if count >= limit || cursor.next >= stopAt { cursor.isDone = true }
        return true
      }
      // Damaged: record by record below, the records before the damage are written out first.
      output.count = mark
    }
    var reachedStopTime = false
    var count = 0
    do {
      try batch.forEachRecord { record in
        if record.offset < next { return true }
        if record.offset >= stopAt || count >= limit { return false }
        if let stopTime, record.timestamp >= stopTime {
          reachedStopTime = true
          return false
        }
        // Headers that do not fit their record are damage even when the format prints none.
        try record.forEachHeader { _, _ in }
        try printer.print(record, partition: partition, into: output)
        next = record.offset + 1
        ledger?.record(end: bytesWritten + output.count, partition: partition, next: next)
        count += 1
        return true
      }
    } catch let error as BatchDecodeError {
      throw cursor.reader.damage(error)
    }
    if reachedStopTime { cursor.isDone = true }
    // Past offsets the batch does not hold (control records, a gap), but never past the stop:
    // records there were not delivered, and a group must not commit past them.
    if next < batch.nextOffset && next < stopAt && count < limit && !reachedStopTime { next = min(batch.nextOffset, stopAt) }
    if count < limit && next >= stopAt { cursor.isDone = true }
    // A gap at the batch's end (offsets without records) is delivered with the bytes before it.
    if next > cursor.next { ledger?.record(end: bytesWritten + output.count, partition: partition, next: next) }
    cursor.next = max(next, cursor.next)
    delivered += count
    if count >= limit { cursor.isDone = true }
    return true
  }

  /// Says on stderr that the log ends before the reader's position (a cluster lost records),
  /// and goes on from its end: what is appended there is new (Kafka's auto.offset.reset to
  /// the end); or that the topic was created again, read from its start.
  static func warn(about rewind: LogRewind, _ cursor: inout Cursor, context: Context) {
    if rewind.topicCreatedAgain {
      context.stderr.write(
        "kq: warning: partition \(cursor.partition): the topic was deleted and created again while kq was reading it; "
          + "reading the new one from its start, offset \(rewind.end)\n")
    } else {
      context.stderr.write(
        "kq: warning: partition \(cursor.partition) now ends at offset \(rewind.end), before offset \(rewind.position) "
          + "where kq was reading: the cluster lost those records (a broker restarted without them?); "
          + "continuing at offset \(rewind.end)\n")
    }
    cursor.next = rewind.end
  }

  /// Says on stderr which offsets retention removed before the reader got to them (Kafka's
  /// consumers move to the log start too, with auto.offset.reset). Only offsets this cursor
  /// still wanted are named: from its next offset, and before its stop.
  static func warnAboutLostOffsets(_ cursor: Cursor, context: Context) {
    for lost in cursor.reader.takeOffsetsLostToRetention() {
      let first = max(lost.lowerBound, cursor.next)
      let last = min(lost.upperBound, cursor.stopAt - 1)
      guard first <= last else { continue }
      let what = first == last ? "offset \(first) was" : "offsets \(first) to \(last) were"
      let resume = lost.upperBound + 1
      let cause = cursor.reader.wasMovedAside(lost) ? "moved aside as damaged by 'kq verify --repair'; kq cannot read " : "deleted by retention before kq could read "
      context.stderr.write(
        "kq: warning: partition \(cursor.partition): \(what) " + cause
          + (first == last ? "it" : "them") + (resume < cursor.stopAt ? "; continuing at offset \(resume)" : "") + "\n")
    }
  }

  /// Writes the buffered output. False when stdout's reader has gone (EPIPE) or a signal
  /// cut the write short; then `stopped()` tells which. Without `waiting`, a writer thread
  /// may still be writing it on return.
  func flush(waiting: Bool = true) throws -> Bool {
    if let bulk {
      bytesWritten += bulk.finish()
      // Nothing after a batch that failed its checks goes out: `settleBulk` reads on from it.
      if bulk.hasFailed { return true }
    }
    if let writer {
      var progress = OutputWriterThread.Progress()
      // A reader decoding on a thread takes the second core: the writes then stay here.
      let startsThread = !waiting && !cursors.contains { $0.reader.decodesOnAThread }
      if output.count > 0 { (output, progress) = writer.handOver(output, startingThread: startsThread) }
      if waiting || progress.failure != nil {
        let rest = writer.finishWrites()
        progress.written += rest.written
        progress.failure = progress.failure ?? rest.failure
      }
      bytesWritten += progress.written
      if let failure = progress.failure { throw StorageError.io(failure, operation: "write", path: "standard output") }
    } else if output.count > 0 {
      let (written, failure) = context.stdout.writeReportingProgress(output.bytes)
      output.count = 0
      bytesWritten += written
      if let failure {
        if failure == .brokenPipe || failure == .interrupted { return false }
        throw StorageError.io(failure, operation: "write", path: "standard output")
      }
    }
    guard let ledger else { return true }
    // Bytes still in a pipe are not read yet: their records are delivered at a later flush.
    let before = ledger.positions
    ledger.deliver(upTo: bytesWritten - context.stdout.unreadBytes)
    if let onFlush, ledger.positions != before || isCommitPending {
      isCommitPending = !(try onFlush(ledger.positions, false))
    }
    return true
  }
}
