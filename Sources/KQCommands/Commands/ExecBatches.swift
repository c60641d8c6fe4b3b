import Glibc
import KQStorage

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

  init(
    command: String, group: GroupName, options: ConsumeOptions, context: Context, cursors: [Consumer.Cursor],
    batchRecords: Int, batchBytes: Int, commits: CommitTracker
  ) {
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
    let watcher = options.follow ? try FollowWatcher(paths: cursors.compactMap { $0.reader.watchPath }) : nil
    while true {
      var progressed = false
      for index in cursors.indices where !cursors[index].isDone {
        let (count, first, last) = try fillBatch(index)
        if count == 0 { continue }
        progressed = true
        let partition = cursors[index].partition
        let status = try runCommand(partition: partition, first: first, last: last)
        guard status == 0 else {
          let how = status > 128 ? "was killed by signal \(status - 128)" : "exited with status \(status)"
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
      if progressed { continue }
      if !options.follow || cursors.allSatisfy({ $0.isDone }) { return .finished }
      guard let watcher else { return .finished }
      switch watcher.wait(signals: context.signals, stdout: nil, timeoutMillis: options.idleMillis) {
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
      if !full && next < view.nextOffset && next < stopAt { next = view.nextOffset }
      cursor.next = next
      if full {
        try cursor.reader.seek(to: next)
        break
      }
    }
    return (count, first, last)
  }

  /// Runs `sh -c CMD` with the batch on its stdin; returns its exit status (128+N if killed).
  private func runCommand(partition: Int, first: Int64, last: Int64) throws -> Int32 {
    var environment = context.environment
    environment["KQ_TOPIC"] = options.topic.value
    environment["KQ_PARTITION"] = String(partition)
    environment["KQ_FIRST_OFFSET"] = String(first)
    environment["KQ_LAST_OFFSET"] = String(last)
    environment["KQ_GROUP"] = group.value
    let child = try ChildProcess.spawn(shellCommand: command, environment: environment)
    child.feed(batch.bytes)
    return child.wait()
  }
}

/// `sh -c CMD` with a pipe on its stdin, spawned with default signal handling restored.
final class ChildProcess {
  let pid: pid_t
  private var input: CInt

  private init(pid: pid_t, input: CInt) {
    self.pid = pid
    self.input = input
  }

  static func spawn(shellCommand: String, environment: [String: String]) throws -> ChildProcess {
    var fds: [CInt] = [0, 0]
    guard pipe(&fds) == 0 else { throw CommandError.execFailed(command: shellCommand, reason: Errno.current.description) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGTERM)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let arguments = ["sh", "-c", shellCommand]
    let environmentLines = environment.map { $0.key + "=" + $0.value }
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environmentLines.map { strdup($0) } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, &envp)
    close(fds[0])
    guard result == 0 else {
      close(fds[1])
      throw CommandError.execFailed(command: shellCommand, reason: Errno(result).description)
    }
    return ChildProcess(pid: pid, input: fds[1])
  }

  /// Writes all bytes to the child's stdin and closes it. A child that stops reading early
  /// (EPIPE) is not an error here: its exit status decides.
  func feed(_ bytes: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < bytes.count {
      let n = write(input, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        break
      }
      offset += n
    }
    close(input)
    input = -1
  }

  func wait() -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return 1 }
    }
    let low = status & 0x7f
    if low == 0 { return (status >> 8) & 0xff }
    return 128 + low
  }

  deinit { if input >= 0 { close(input) } }
}
