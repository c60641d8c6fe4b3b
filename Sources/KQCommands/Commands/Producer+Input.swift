import Glibc
import KQLog

/// Reading stdin: waiting for input (and syncing once a second meanwhile), whole records taken
/// from the buffer, and from the second thread's ring once input comes in bulk.
extension Producer {
  enum Readiness { case ready, waiting, signal(Int32) }

  /// Whether more input is available right now, without blocking.
  func inputReadiness() -> Readiness {
    guard let fd = context.stdin.descriptor else { return .ready }
    return poll(fd, timeout: 0)
  }

  /// Blocks until input is readable or a signal arrives, syncing once a second meanwhile.
  func waitForInput() throws -> Readiness {
    guard let fd = context.stdin.descriptor else { return .ready }
    while true {
      let readiness = poll(fd, timeout: millisUntilDueSync())
      if case .waiting = readiness {
        try syncIfDue()
        continue
      }
      return readiness
    }
  }

  /// How long input may be waited for before `--sync exit`'s once-a-second sync of what is
  /// unsynced is due; -1 (no limit) when none is.
  private func millisUntilDueSync() -> Int32 {
    guard unsynced && options.sync == .exit else { return -1 }
    return Self.millisUntilSync(lastSyncMillis: lastSyncMillis, now: context.clock.nowMillis())
  }

  /// The sync `millisUntilDueSync` waited for, once its time has come.
  private func syncIfDue() throws {
    if unsynced && options.sync == .exit { try syncAll() }
  }

  /// How long to wait for input before the once-a-second sync is due: 0 to 1000 ms, also when
  /// the wall clock stepped back (by weeks: the difference would not fit poll's Int32) or
  /// forward.
  static func millisUntilSync(lastSyncMillis: Int64, now: Int64) -> Int32 {
    let (due, late) = lastSyncMillis.addingReportingOverflow(syncIntervalMillis)
    let (wait, overflow) = due.subtractingReportingOverflow(now)
    if late || overflow { return 0 }
    return Int32(min(max(0, wait), syncIntervalMillis))
  }

  private func poll(_ fd: CInt, timeout: Int32) -> Readiness {
    var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
    if let signals = context.signals { entries.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)) }
    var result: Int32
    repeat {
      result = Glibc.poll(&entries, nfds_t(entries.count), timeout)
    } while result < 0 && errno == EINTR  // a signal's handler ran: its byte is now readable
    if result <= 0 { return result == 0 ? .waiting : .ready }
    if entries.count > 1, entries[1].revents != 0, let number = context.signals?.pending() { return .signal(number) }
    return entries[0].revents != 0 ? .ready : .waiting
  }

  /// Encodes every whole record in the input buffer and drops them from it.
  func consumeInput(atEnd: Bool) throws {
    input.removeFirst(try consumeRecords(input.base, count: input.count, atEnd: atEnd))
    try refuseLongLine(buffered: input.count)
  }

  /// A line longer than any record can be: refused once this much of it is buffered, instead
  /// of buffering forever.
  private func refuseLongLine(buffered: Int) throws {
    if buffered > Int(config.maxMessageBytes) + (1 << 20) {
      try flush()
      throw ProduceInputError.recordTooLarge(
        line: recordsSeen + 1, size: buffered, limit: config.maxMessageBytes, stored: recordsStored, topic: options.topic.value,
        sizeIsLowerBound: true)
    }
  }

  /// Encodes every whole record of `base[0..<count]`; at the end, the unterminated last one too.
  /// Returns how many bytes the records took.
  private func consumeRecords(_ base: UnsafeMutableRawPointer, count: Int, atEnd: Bool) throws -> Int {
    let delimiter: Int32 = options.framing == .nulTerminated ? 0 : 10
    var start = 0
    if isPlainInput {
      start = plainRecords(base, count: count, delimiter: delimiter)
    } else if let keyedLines {
      start = try keyedRecords(keyedLines, base, count: count, delimiter: delimiter)
    }
    while start < count {
      guard let found = memchr(base + start, delimiter, count - start) else { break }
      let end = UnsafeMutableRawPointer(found) - base
      try record(UnsafeRawBufferPointer(start: base + start, count: end - start))
      start = end + 1
    }
    if atEnd && start < count {
      try record(UnsafeRawBufferPointer(start: base + start, count: count - start))
      start = count
    }
    return start
  }

  // MARK: Reading ahead

  enum ReadAheadEnd { case ended, interrupted(Int32), lineLongerThanRing }

  /// Stdin read on a second thread from now on, what `input` holds first; nil (reading goes on
  /// here) where stdin is no descriptor, the process may use one core only (the thread would
  /// only add switches: 87 → 93 ms under `taskset -c 0`), records are compressed (the
  /// compressor's thread has the second core), or the thread cannot be made. Tried once.
  func startReadingAhead() -> InputReadAhead? {
    triedReadAhead = true
    guard let fd = context.stdin.descriptor, compressor == nil, CoreSplit.coresAllowed >= 2,
      config.compressionType.storedCodec(requested: options.compression) == .none,
      let ahead = InputReadAhead(fd: fd, prefix: input.bytes)
    else { return nil }
    input.removeFirst(input.count)
    return ahead
  }

  /// Encodes what `ahead` reads until the input ends or a signal comes, flushing whenever
  /// stdin has nothing more right now, as the loop in `run` does. A line longer than the ring
  /// ends it early: what was read goes back into `input` for `run`, which reads on alone.
  func readAhead(_ ahead: InputReadAhead) throws -> ReadAheadEnd {
    defer { ahead.stop() }
    var scanned = 0
    while true {
      let available = ahead.available()
      if available.count > scanned || (available.ended && available.count > 0) {
        // Past bytes already scanned without a line's end (a long line), or no progress.
        let take = min(available.count, scanned + Self.readAheadSlice)
        let atEnd = available.ended && take == available.count
        timestamp = options.timestamp ?? context.clock.nowMillis()
        let used = try consumeRecords(available.bytes, count: take, atEnd: atEnd)
        ahead.consume(used)
        scanned = take - used
        try refuseLongLine(buffered: scanned)
        if pendingBytes >= flushLimit { try flush(keepingInFlight: true) }
        progress?.update(records: recordsSeen, bytes: 0)
        if let number = context.signals?.pending() { return .interrupted(number) }
        continue
      }
      if available.ended { return .ended }
      if let failure = available.failure {
        try flush()
        throw ProduceStorageFailure(underlying: .io(failure, operation: "read", path: "standard input"), stored: recordsStored)
      }
      if available.count == ahead.ring.size {
        ahead.stop()
        let rest = ahead.available()
        input.append(UnsafeRawBufferPointer(start: rest.bytes, count: rest.count))
        return .lineLongerThanRing
      }
      switch inputReadiness() {
      case .signal(let number): return .interrupted(number)
      case .ready: break
      case .waiting: try flush()
      }
      switch ahead.wait(forMoreThan: scanned, signals: context.signals?.fd, timeout: millisUntilDueSync()) {
      case .more: break
      case .timeout: try syncIfDue()
      case .signal:
        if let number = context.signals?.pending() { return .interrupted(number) }
      }
    }
  }
}
