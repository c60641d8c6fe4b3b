import Glibc
import KQLog

/// `--exec CMD`: records gathered into batches of one partition, each piped into `sh -c CMD`;
/// a batch is committed only when CMD exits 0. When CMD fails, nothing of that batch is
/// committed and kq exits with CMD's status, so the next run gets the same records again.
final class ExecBatches {
  let command: String
  let group: GroupName
  let options: ConsumeOptions
  let context: Context
  var cursors: [Consumer.Cursor]
  let batchRecords: Int
  let batchBytes: Int
  let commits: CommitTracker
  private let printer: RecordPrinter
  private let batch = ByteBuffer(capacity: 1 << 20)
  private var delivered = 0
  /// Damage met while gathering a batch: the records gathered before it are run and
  /// committed first, then it is reported.
  private var pendingError: (any Error)?
  /// Wakes a follower (--follow) when records may have arrived; nil without --follow.
  private var watcher: FollowWatcher?
  /// A group on a cluster, whose partitions may move to or from this member mid-run. A batch
  /// whose command was running when the rebalance began is committed only if the generation
  /// still allows it; otherwise its records go to the partition's next owner again.
  var rebalance: GroupRebalance?

  init(
    command: String, group: GroupName, options: ConsumeOptions, context: Context, cursors: [Consumer.Cursor],
    batchRecords: Int, batchBytes: Int, commits: CommitTracker, watcher: FollowWatcher?
  ) {
    self.watcher = watcher
    self.command = command
    self.group = group
    self.options = options
    self.context = context
    self.cursors = cursors
    self.batchRecords = batchRecords
    self.batchBytes = batchBytes
    self.commits = commits
    self.printer = RecordPrinter(output: options.output, topic: options.topic.value)
  }

  func run() throws -> Consumer.Ending {
    while true {
      if let rebalance, rebalance.isDue {
        let outcome = try rebalance.rejoin(keeping: cursors)
        cursors = outcome.cursors
        watcher = outcome.watcher
      }
      var progressed = false
      for index in cursors.indices where !cursors[index].isDone {
        // Every batch before was committed: a rebalance is followed before the next one.
        if rebalance?.isDue == true { break }
        let (count, first, last) = try fillBatch(index)
        if count == 0 { continue }
        progressed = true
        // A signal that came while the batch was read ends the run before its command starts.
        if let signal = context.signals?.pending() { return .interrupted(signal) }
        let partition = cursors[index].partition
        let outcome = try runCommand(partition: partition, first: first, last: last)
        if let signal = outcome.signal {
          // Interrupted: the batch counts only if the command took all of it and exited 0.
          if outcome.ending == .exited(0) && outcome.tookEverything { try commits.commit([partition: last + 1], force: true) }
          return .interrupted(signal)
        }
        guard outcome.ending == .exited(0) else {
          let how: String
          let status: Int32
          switch outcome.ending {
          case .exited(let code): (how, status) = ("exited with status \(code)", code)
          case .killed(let signal): (how, status) = ("was killed by signal \(signal)", 128 + signal)
          case .notStarted(let error): throw CommandError.execFailed(command: command, reason: error.description)
          }
          throw CommandError.message(
            "'\(command)' \(how) on partition \(partition), offsets \(first) to \(last); that batch was not committed",
            hint: "the next run gets these records again", status: ExitStatus(status))
        }
        try commits.commit([partition: last + 1], force: true)
        if let pendingError { throw pendingError }
        delivered += count
        if let signal = context.signals?.pending() {
          return .interrupted(signal)
        }
        if let max = options.maxRecords, delivered >= max { return .finished }
      }
      if progressed || rebalance?.isDue == true { continue }
      // A follower the group gave no partition waits for the next rebalance.
      let isWaitingForPartitions = cursors.isEmpty && rebalance != nil
      if !options.follow || (cursors.allSatisfy({ $0.isDone }) && !isWaitingForPartitions) { return .finished }
      guard let watcher else { return .finished }
      switch watcher.wait(
        signals: context.signals, stdout: nil, timeoutMillis: options.idleMillis, rebalance: rebalance?.descriptor)
      {
      case .changed: continue
      case .signal(let number): return .interrupted(number)
      case .readerGone, .timeout: return .finished
      }
    }
  }

  /// Gathers up to one batch of a partition's records into the buffer: (count, first, last).
  private func fillBatch(_ index: Int) throws -> (Int, Int64, Int64) {
    batch.count = 0
    var cursor = cursors[index]
    defer { cursors[index] = cursor }
    var count = 0
    var first: Int64 = -1
    var last: Int64 = -1
    let limit = min(batchRecords, options.maxRecords.map { $0 - delivered } ?? Int.max)
    while count < limit && batch.count < batchBytes {
      if cursor.next >= cursor.stopAt {
        cursor.isDone = true
        break
      }
      let found: RecordBatchView?
      do { found = try cursor.reader.nextBatch() } catch {
        if count == 0 { throw error }
        pendingError = error
        break
      }
      if cursor.reader.hasLostOffsets { Consumer.warnAboutLostOffsets(cursor, context: context) }
      guard let view = found else {
        if !options.follow { cursor.isDone = true }
        break
      }
      var next = cursor.next
      let stopAt = cursor.stopAt
      var full = false
      do {
        try view.forEachRecord { record in
          if record.offset < next { return true }
          if record.offset >= stopAt { return false }
          if count >= limit || (count > 0 && batch.count >= batchBytes) {
            full = true
            return false
          }
          let before = batch.count
          try printer.print(record, partition: cursor.partition, into: batch)
          // At most --batch-bytes per batch: a record that would overflow it starts the next
          // batch, unless it is the first (a batch always holds at least one record).
          if count > 0 && batch.count > batchBytes {
            batch.count = before
            full = true
            return false
          }
          if first < 0 { first = record.offset }
          last = record.offset
          next = record.offset + 1
          count += 1
          return true
        }
      } catch {
        let damage = (error as? BatchDecodeError).map { cursor.reader.damage($0) } ?? error
        if count == 0 { throw damage }
        cursor.next = next
        pendingError = damage
        break
      }
      if !full && next < view.nextOffset && next < stopAt { next = min(view.nextOffset, stopAt) }
      cursor.next = next
      if full {
        try cursor.reader.seek(to: next)
        break
      }
    }
    return (count, first, last)
  }

  /// Runs `sh -c CMD` with the batch on its stdin, until it ends.
  private func runCommand(partition: Int, first: Int64, last: Int64) throws -> ChildProcess.Outcome {
    var environment = context.environment
    environment["KQ_TOPIC"] = options.topic.value
    environment["KQ_PARTITION"] = String(partition)
    environment["KQ_FIRST_OFFSET"] = String(first)
    environment["KQ_LAST_OFFSET"] = String(last)
    environment["KQ_GROUP"] = group.value
    let child = try ChildProcess.spawn(shellCommand: command, environment: environment)
    return child.run(feeding: batch.bytes, signals: context.signals)
  }
}
