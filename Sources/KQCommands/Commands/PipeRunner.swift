import Glibc
import KQLog
import Synchronization

/// The `kq pipe` loop: a batch of one input partition at a time goes through the command, and
/// what the command wrote goes to the output as that batch's range; ranges are committed at
/// least every `--commit-interval`, at the end, and before kq waits for input. On a cluster it
/// follows the group's rebalances between batches: the ranges ended are committed in the
/// generation that is ending (aborted if the coordinator refuses it), then the partitions
/// assigned now are read from the group's commits.
final class PipeRunner {
  let options: PipeOptions
  let context: Context
  let assignment: PipeAssignment
  /// The partitions held in the current generation.
  private var inputs: [PipeInput]
  let output: any ExactlyOnceOutput
  let parser: PipeOutputParser
  /// Written while the command's supervisor, a fork of kq, lives: kept out of it. `batch`
  /// holds the batch the command gets; `spare` the next one, read meanwhile.
  private var batch: ByteBuffer
  private var spare: ByteBuffer
  private let collected = ByteBuffer(capacity: 1 << 20, excludedFromForks: true)
  private var lastCommitMillis: Int64
  /// The input whose turn it is next (partitions take turns, a batch each).
  private var turn = 0
  /// The next batch, being read into `spare` by a thread while the command runs.
  private var prefetch: BackgroundWork?
  /// What that thread read, once it is done; nil when nothing was read ahead.
  private var prefetched: Result<(PipeInput, PipeInput.Batch)?, any Error>?
  /// Set by that thread when it is done: `prefetched` may be taken without waiting.
  private let isPrefetched = Atomic<Bool>(false)
  /// The command of the batch read ahead, started (and fed) while the output of the batch
  /// before it is appended, so that it works meanwhile: one command runs at a time still.
  private var nextCommand: StartedCommand?

  private struct StartedCommand {
    var child: ChildProcess
    var input: InputPartition
    var range: Range<Int64>
    var deadline: Int64?
  }

  /// Wakes a follower (--follow) when records may have arrived; nil without --follow.
  private var watcher: FollowWatcher?

  init(options: PipeOptions, context: Context, assignment: PipeAssignment) throws {
    self.options = options
    self.context = context
    self.assignment = assignment
    let output = assignment.output
    self.output = output
    inputs = try assignment.open()
    watcher = try assignment.watcher(for: inputs)
    self.parser = PipeOutputParser(options: options, output: output)
    // Sized for a whole batch from the start (up to 16 MiB; pages are only resident once
    // touched): grown by doubling, a buffer would copy itself and be mapped twice meanwhile.
    let capacity = min(options.batchBytes, 16 << 20) + (64 << 10)
    self.batch = ByteBuffer(capacity: capacity, excludedFromForks: true)
    self.spare = ByteBuffer(capacity: capacity, excludedFromForks: true)
    self.lastCommitMillis = context.clock.nowMillis()
  }

  deinit { warming?.wait() }  // before the buffers it faults in are released

  /// Faults in, on a thread, the memory the next ranges fill, once the first batch is read and
  /// found large (at least 2 MiB, so a small run makes no thread and touches no more memory):
  /// in this kind of VM the kernel's zeroing of fresh pages can cost over a millisecond per
  /// megabyte, which the main thread would otherwise pay as it encodes the first range. The
  /// output's encoders (this range's set and the next one's), then the buffer the next batch
  /// is read into, each from its end in 2 MiB steps, while the main thread and the read-ahead
  /// fill them from their start.
  private func warmUp(inputPartition: Int, inputBytes: Int) {
    guard warming == nil, !options.each, inputBytes >= 2 << 20 else { return }
    var memory = parser.prepare(inputPartition: inputPartition, inputBytes: inputBytes)
    memory.append(UnsafeMutableRawBufferPointer(start: spare.base, count: min(spare.capacity, inputBytes)))
    let chunk = 2 << 20
    var steps: [UnsafeMutableRawBufferPointer] = []
    for region in memory {
      guard let base = region.baseAddress else { continue }
      var end = region.count
      while end > 0 {
        let start = (end - 1) / chunk * chunk
        steps.append(UnsafeMutableRawBufferPointer(start: base + start, count: end - start))
        end = start
      }
    }
    warming = BackgroundWork.start { for step in steps { PagePopulation.populate(step) } }
  }

  /// The thread `warmUp` started, once per run.
  private var warming: BackgroundWork?

  enum Ending { case finished, interrupted(Int32) }

  func run() throws -> Ending {
    // However the run ends, a batch being read is finished first: it uses the inputs.
    defer {
      finishPrefetch()
      discardNextCommand()
    }
    // First what a crash left, then a commit at once, so that another crash does not make
    // the next run process it all again.
    var replayed = false
    for input in inputs {
      while input.hasReplays {
        guard let read = try input.nextBatch(into: batch, maxRecords: 0, maxBytes: 0, tracksRecords: options.each, follow: false)
        else { break }
        if let signal = context.signals?.pending() { return try stop(signal) }
        if let signal = try process(read, of: input) { return try stop(signal) }
        replayed = true
      }
    }
    if replayed { try commit() }
    while true {
      if assignment.isRebalancing {
        guard try followRebalance() else { return .finished }
        continue
      }
      let next: (PipeInput, PipeInput.Batch)?
      if let readAhead = takePrefetched() {
        next = try readAhead.get()
      } else {
        next = try nextBatch(into: batch)
      }
      if let (input, read) = next {
        // A signal that came while the batch was read ends the run before its command starts.
        if let signal = context.signals?.pending() { return try stop(signal) }
        if let signal = try process(read, of: input) { return try stop(signal) }
        if RecordTimestamp.span(from: lastCommitMillis, to: context.clock.nowMillis()) >= options.commitIntervalMillis {
          try commit()
        }
        continue
      }
      try commit()
      if assignment.isRebalancing { continue }
      // A follower the group gave no partition waits for the next rebalance.
      let isWaitingForPartitions = inputs.isEmpty && assignment.rebalanceDescriptor != nil
      if !options.follow || (inputs.allSatisfy({ $0.isDone }) && !isWaitingForPartitions) { return .finished }
      guard let watcher else { return .finished }
      switch watcher.wait(signals: context.signals, stdout: nil, timeoutMillis: nil, rebalance: assignment.rebalanceDescriptor) {
      case .changed, .timeout, .readerGone: continue
      case .signal(let number): return .interrupted(number)
      }
    }
  }

  /// The next batch in turn, read into `buffer`: nil when no input has anything new now.
  private func nextBatch(into buffer: ByteBuffer) throws -> (PipeInput, PipeInput.Batch)? {
    for _ in inputs.indices {
      let input = inputs[turn]
      turn = (turn + 1) % inputs.count
      if input.isDone { continue }
      if let read = try input.nextBatch(
        into: buffer, maxRecords: options.batchRecords, maxBytes: options.batchBytes, tracksRecords: options.each,
        follow: options.follow)
      {
        return (input, read)
      }
    }
    return nil
  }

  /// Starts reading the next batch into `spare` on a thread, while the command runs on this
  /// one's (not with --each: its record list belongs to the batch running).
  private func startPrefetch() {
    guard !options.each, prefetch == nil else { return }
    let spare = self.spare
    isPrefetched.store(false, ordering: .relaxed)
    prefetch = BackgroundWork.start { [self] in
      prefetched = Result { try nextBatch(into: spare) }
      isPrefetched.store(true, ordering: .releasing)
    }
  }

  private func finishPrefetch() {
    prefetch?.wait()
    prefetch = nil
  }

  /// The batch read ahead, now in `batch`; nil when none was.
  private func takePrefetched() -> Result<(PipeInput, PipeInput.Batch)?, any Error>? {
    finishPrefetch()
    guard let result = prefetched else { return nil }
    prefetched = nil
    swap(&batch, &spare)
    return result
  }

  /// Starts the command of the batch read ahead, feeding it from `spare`, before the output of
  /// the batch whose command has just ended is appended: that append, the fork and exec, and
  /// the command's first megabytes then overlap (with 4 MiB batches they were a pause of a few
  /// milliseconds per batch). Nothing of the new range is begun: killed unused (an error, a
  /// signal), it leaves nothing behind.
  private func startNextCommand() {
    if let held = nextCommand, held.child.isHeld {
      held.child.release()
      nextCommand?.deadline = deadline()
      return
    }
    guard !options.each, nextCommand == nil, prefetch != nil else { return }
    finishPrefetch()
    guard case .success(let (input, read)?) = prefetched, !read.isReplay, read.count > 0 else { return }
    // Should it fail to start, it is started again in its turn, which reports the failure.
    guard let child = try? spawnCommand(for: input, first: read.first, last: read.last) else { return }
    child.startFeeding(spare.bytes)
    nextCommand = StartedCommand(child: child, input: input.input, range: read.range, deadline: deadline())
  }

  /// Forks the supervisor of the batch read ahead while this batch's command still runs, its
  /// stdin already closed (else the fork would hold it open), held until `startNextCommand`
  /// releases it: the fork, and the wait for a core that follows a fork, leave the pause
  /// between two commands. Nothing of the new batch runs before: a held command killed unused
  /// leaves nothing behind. False while the batch is still being read (asked again later).
  private func holdNextCommand() -> Bool {
    guard !options.each, nextCommand == nil, prefetch != nil else { return true }
    guard isPrefetched.load(ordering: .acquiring) else { return false }
    finishPrefetch()
    guard case .success(let (input, read)?) = prefetched, !read.isReplay, read.count > 0 else { return true }
    // Should it fail to start, it is started again in its turn, which reports the failure.
    guard let child = try? spawnCommand(for: input, first: read.first, last: read.last, held: true) else { return true }
    child.startFeeding(spare.bytes)
    nextCommand = StartedCommand(child: child, input: input.input, range: read.range, deadline: nil)
    return true
  }

  private func discardNextCommand() {
    nextCommand?.child.abandon()
    nextCommand = nil
  }

  /// Ends the run on a signal, committing the ranges ended before it.
  private func stop(_ signal: Int32) throws -> Ending {
    finishPrefetch()
    discardNextCommand()
    try commit()
    return .interrupted(signal)
  }

  private func commit() throws {
    try followingRebalance { () throws(StorageError) in try output.commit() }
    lastCommitMillis = context.clock.nowMillis()
  }

  /// Runs an output step that commits; one the coordinator refused because the group's
  /// generation ended has aborted what it covered (the partitions' next owners process it
  /// again, exactly once), and the run goes on at the rebalance.
  private func followingRebalance(_ step: () throws(StorageError) -> Void) throws {
    do { try step() } catch StorageError.cluster(let reason, .generationEnded) {
      context.stderr.write("kq: warning: \(reason); its records are processed again from the group's last commit\n")
    }
  }

  /// Commits what was ended in the generation that is ending, joins again and goes on with the
  /// partitions assigned now, from the group's commits. False when none is assigned and kq
  /// does not follow (-f): its share of the input is done.
  private func followRebalance() throws -> Bool {
    finishPrefetch()
    prefetched = nil  // read from a partition that may be another's now; nothing of it was begun
    discardNextCommand()
    try commit()
    inputs = try assignment.rejoin()
    watcher = try assignment.watcher(for: inputs)
    turn = 0
    return options.follow || !inputs.isEmpty
  }

  /// Runs the command on one batch and adds its output as the batch's range. Returns the
  /// signal that interrupted it, if one did (nothing of the batch is kept then).
  private func process(_ read: PipeInput.Batch, of input: PipeInput) throws -> Int32? {
    output.begin(input.input, range: read.range)
    if read.count == 0 {  // a replayed range that holds no record any more: nothing to run
      try followingRebalance { () throws(StorageError) in try output.end() }
      return nil
    }
    let timestamp = context.clock.nowMillis()
    if options.each {
      var start = 0
      for (end, offset) in input.recordEnds {
        let record = UnsafeRawBufferPointer(rebasing: batch.bytes[start..<end])
        start = end
        if let signal = try runCommand(on: record, input: input, first: offset, last: offset, read: read, timestamp: timestamp) {
          return signal
        }
      }
    } else {
      if let signal = try runCommand(
        on: batch.bytes, input: input, first: read.first, last: read.last, read: read, timestamp: timestamp)
      {
        return signal
      }
      startNextCommand()
    }
    try followingRebalance { () throws(StorageError) in try output.end() }
    return nil
  }

  /// Runs the command once with `bytes` on its stdin, adding what it writes to the range.
  /// A failure (or output OUT cannot take) aborts the range, commits those before it and ends
  /// kq with the command's status (65 for bad output).
  private func runCommand(
    on bytes: UnsafeRawBufferPointer, input: PipeInput, first: Int64, last: Int64, read: PipeInput.Batch, timestamp: Int64
  ) throws -> Int32? {
    let child: ChildProcess
    let deadline: Int64?
    if let started = nextCommand, started.input == input.input, started.range == read.range {
      nextCommand = nil
      child = started.child
      deadline = started.deadline ?? self.deadline()
    } else {
      discardNextCommand()
      child = try spawnCommand(for: input, first: first, last: last)
      deadline = self.deadline()
    }
    // What the command writes is parsed and encoded as it comes, while the command works on.
    collected.count = 0
    if !read.isReplay { warmUp(inputPartition: input.input.partition, inputBytes: bytes.count) }
    parser.start(inputPartition: input.input.partition, timestamp: timestamp, inputBytes: bytes.count)
    let parser = self.parser
    if !read.isReplay { startPrefetch() }  // the next batch is read while this one runs
    let outcome = child.filter(
      feeding: bytes, into: collected, deadlineMillis: deadline, clock: context.clock, signals: context.signals,
      onOutput: { parser.take($0, atEnd: false) }, whenFed: { [self] in read.isReplay || holdNextCommand() })
    if let signal = outcome.signal {
      output.abort()
      return signal
    }
    if outcome.ending == .exited(0) && !outcome.timedOut {
      parser.take(collected, atEnd: true)
      guard let problem = parser.problem else { return nil }
      output.abort()
      try commit()
      throw CommandError.message(
        "\(describe(problem)) in what '\(options.command.text)' wrote for \(place(input, read)); nothing of that batch was written to '\(options.output)' nor committed",
        hint: "fix the command's output; the next run processes these records again", status: .dataError)
    }
    output.abort()
    try commit()
    let what = "on " + place(input, read) + (options.each ? " (the record at offset \(first))" : "")
    let nothing = "nothing of that batch was written to '\(options.output)' nor committed"
    let again = "the next run processes these records again"
    if outcome.timedOut {
      throw CommandError.message(
        "'\(options.command.text)' took longer than --timeout \(Self.describeDuration(options.timeoutMillis ?? 0)) \(what) and was killed; \(nothing)",
        hint: again + "; give it more time with a longer --timeout", status: .temporaryFailure)
    }
    switch outcome.ending {
    case .exited(let code):
      throw CommandError.message("'\(options.command.text)' exited with status \(code) \(what); \(nothing)", hint: again, status: ExitStatus(code))
    case .killed(let signal):
      throw CommandError.message(
        "'\(options.command.text)' was killed by signal \(signal) \(what); \(nothing)", hint: again, status: ExitStatus(128 + signal))
    case .notStarted(let error):
      throw CommandError.execFailed(command: options.command.text, reason: error.description)
    }
  }

  /// Starts the command, its output captured, for records `first` to `last` of `input`.
  private func spawnCommand(for input: PipeInput, first: Int64, last: Int64, held: Bool = false) throws -> ChildProcess {
    var environment = context.environment
    environment["KQ_TOPIC"] = input.input.topic.value
    environment["KQ_PARTITION"] = String(input.input.partition)
    environment["KQ_FIRST_OFFSET"] = String(first)
    environment["KQ_LAST_OFFSET"] = String(last)
    environment["KQ_GROUP"] = options.group.value
    switch options.command {
    case .shell(let command):
      return try ChildProcess.spawn(
        executable: "/bin/sh", arguments: ["sh", "-c", command], environment: environment, capturingOutput: true, held: held,
        naming: command)
    case .program(let path, let arguments):
      return try ChildProcess.spawn(
        executable: path, arguments: arguments, environment: environment, capturingOutput: true, held: held,
        naming: arguments.first ?? path)
    }
  }

  /// When a command started now must have ended (--timeout), or nil.
  private func deadline() -> Int64? {
    options.timeoutMillis.map { limit -> Int64 in
      let (sum, overflow) = context.clock.nowMillis().addingReportingOverflow(limit)
      return overflow ? Int64.max : sum
    }
  }
}
