import Glibc
import KQLog

/// The produce loop: large reads from stdin, records found with `memchr`, encoded into one
/// reused buffer per partition, and appended with one write per batch run. A flush happens
/// when 1 MiB per partition written is pending (`flushLimit`) or when stdin has nothing more
/// to give right now, so a slow pipe (`tail -f | kq produce`) makes each line visible at once
/// while bulk input goes out in large appends. Once a read brings 64 KiB or more, a second
/// thread reads stdin from then on (`InputReadAhead`) and this one encodes and appends.
final class Producer {
  static let flushBytes = 1 << 20
  /// Batches close at 128 KiB (or the topic's max.message.bytes when smaller): a reader checks
  /// a batch's CRC and then copies its records while it is still in the CPU's cache, which a
  /// 1 MiB batch is not (consume to /dev/null: 24 → 21 ms for 100 MB, produce unchanged).
  static let batchBytes = 1 << 17
  /// A batch with a codec holds more records: a codec's window and a reader's hand-over per
  /// batch cost less over more bytes, and the stored batch is never larger than this bound.
  static let compressedBatchBytes = 1 << 18
  static let syncIntervalMillis: Int64 = 1000
  /// A read of this much or more is bulk input: stdin is read on a second thread from then on
  /// (`InputReadAhead`), and the loop encodes at most `readAheadSlice` bytes between looks.
  static let readAheadBytes = 1 << 16
  static let readAheadSlice = 1 << 18
  private var triedReadAhead = false
  /// A bulk flush waits for 1 MiB per partition the last flush wrote to, up to 8 MiB: keyed
  /// input spread over 8 partitions goes out in appends of about 1 MiB each, not 8 of 128 KiB.
  var flushLimit = Producer.flushBytes
  /// With a codec, 4 MiB per partition (still at most 8 MiB): each flush ends with both threads
  /// compressing the last batches and then the main thread alone appending, so fewer, larger
  /// flushes keep the second thread busier (lz4, one partition: 4% faster in 4 of 5 quiet
  /// windows; peak RSS 8.1 → 10.2 MiB).
  static let compressedFlushBytes = 4 << 20

  let options: ProduceOptions
  var config: TopicConfig
  /// Whether a record may name a partition the topic does not have yet, which then adds it:
  /// `--create` made the topic in this run, so its partition count is the input's to decide
  /// (`kq consume users --json | kq produce users-copy --json --create`).
  let addsPartitions: Bool
  let service: any LogService
  let context: Context
  let input = ByteBuffer(capacity: 1 << 20)
  /// One encoder per partition written to, indexed by partition.
  var encoders: [BatchEncoder?] { didSet { unretainedEncoders = encoders.map { $0.map(Unmanaged.passUnretained) } } }
  /// The same encoders, unretained (`encoders` holds them), so that a record's append costs
  /// no retain and release (1M records: 2M atomic operations fewer).
  private var unretainedEncoders: [Unmanaged<BatchEncoder>?] = []
  /// Encoders whose sealed batches the compressor's thread works on until the next flush
  /// writes them, and their bytes (see `flush`); emptied encoders come back for new records.
  var deferredEncoders: [BatchEncoder?] = []
  var deferredBytes = 0
  var writers: [Int: any PartitionWriting] = [:]
  /// The service's `AppendPipeline`, once asked (`Producer+Pipeline`).
  var pipeline = PipelineState.unasked
  /// Flushes sent through it and not yet settled, oldest first.
  var flights: [SentFlush] = []
  var pendingBytes = 0
  /// Partitions of the records in the pending batches, in input order (for --print-offsets).
  var pendingPartitions: [Int32] = []
  var stickyPartition: Int
  /// The `-H` headers, encoded once for every record, and their bytes (the buffer never grows
  /// after `init`, so they stay put).
  let fixedHeaders: ByteBuffer
  private let fixedHeaderBytes: UnsafeRawBufferPointer
  /// What a batch adds to a record, and a little more: records under the limit by more than
  /// this need no exact size check.
  private let batchOverhead = BatchLayout.headerSize + 32
  var timestamp: Int64 = 0
  var recordsSeen = 0
  var recordsStored = 0
  var unsynced = false
  var lastSyncMillis: Int64
  let progress: ProgressLine?
  let output = ByteBuffer(capacity: 1 << 16)
  /// `-K`'s delimiter when it is one byte (the usual case): found with one `memchr`.
  private let keyDelimiterByte: Int32?
  /// A compacted topic refuses records without a key.
  private let isCompacted: Bool
  /// Lines without keys, -Z, -p's offsets or JSON, into a topic that takes keyless records:
  /// `plainRecords` encodes them.
  private let isPlainInput: Bool
  /// `KEY:VALUE` lines with a one-byte delimiter, each record to its key's partition, without
  /// -p, -Z or --print-offsets: `keyedRecords` encodes them through it.
  private let keyedLines: KeyedLineEncoder?
  /// Compresses full batches of every partition on a second thread while the loop reads and
  /// encodes on; made with the first encoder that compresses.
  private(set) var compressor: BatchCompressor?

  init(options: ProduceOptions, config: TopicConfig, service: any LogService, context: Context, addsPartitions: Bool = false) {
    self.options = options
    self.config = config
    self.addsPartitions = addsPartitions
    self.service = service
    self.context = context
    self.fixedHeaders = ByteBuffer(capacity: 64)
    self.encoders = Array(repeating: nil, count: config.partitions)
    self.unretainedEncoders = Array(repeating: nil, count: config.partitions)
    fixedHeaders.append(EncodedHeaders(options.headers).bytes)
    fixedHeaderBytes = fixedHeaders.bytes
    self.stickyPartition = Int(getpid()) % config.partitions
    self.lastSyncMillis = context.clock.nowMillis()
    self.progress = context.stderrIsInteractive ? ProgressLine(context: context) : nil
    self.keyDelimiterByte = options.keyDelimiter.flatMap { $0.count == 1 ? Int32($0[0]) : nil }
    self.isCompacted = config.cleanupPolicy.compacts
    self.isPlainInput =
      options.framing != .json && options.keyDelimiter == nil && options.fixedKey == nil && !options.emptyAsNull
      && !options.printOffsets && !config.cleanupPolicy.compacts
    if options.framing != .json, let byte = keyDelimiterByte, options.partition == nil, !options.emptyAsNull,
      !options.printOffsets
    {
      keyedLines = KeyedLineEncoder(
        lineDelimiter: options.framing == .nulTerminated ? 0 : 10, keyDelimiter: UInt8(truncatingIfNeeded: byte),
        partitioner: KeyPartitioner(partitions: config.partitions), headers: fixedHeaderBytes,
        largestLine: Int(config.maxMessageBytes) - fixedHeaderBytes.count - batchOverhead)
    } else {
      keyedLines = nil
    }
  }

  /// Reads stdin to its end (or Ctrl-C), stores every record, syncs as asked.
  func run() throws {
    var interrupted: Int32?
    // Every read waits first in poll with the signal pipe, the first one too: a read(2)
    // blocked on an idle stdin restarts after SIGINT or SIGTERM and would never see them.
    var mustWait = true
    var atEnd = false
    (context.stdin as? FileDescriptorSource)?.enlargePipe()
    defer { progress?.finish() }
    while !atEnd {
      if mustWait {
        try flush()
        switch try waitForInput() {
        case .ready, .waiting: break
        case .signal(let number):
          interrupted = number
          atEnd = true
          continue
        }
      }
      if input.count == input.capacity { input.grow(to: input.capacity * 2) }
      let n: Int
      do { n = try context.stdin.read(into: input.base + input.count, count: input.capacity - input.count) } catch {
        throw ProduceStorageFailure(underlying: .io(error, operation: "read", path: "standard input"), stored: recordsStored)
      }
      if n == 0 { atEnd = true } else { input.count += n }
      timestamp = options.timestamp ?? context.clock.nowMillis()
      try consumeInput(atEnd: atEnd)
      if pendingBytes >= flushLimit { try flush(keepingInFlight: true) }
      if !atEnd && n >= Self.readAheadBytes && !triedReadAhead, let ahead = startReadingAhead() {
        switch try readAhead(ahead) {
        case .ended: atEnd = true
        case .interrupted(let number):
          interrupted = number
          atEnd = true
        case .lineLongerThanRing: mustWait = false
        }
        continue
      }
      if !atEnd {
        switch inputReadiness() {
        case .ready: mustWait = false
        case .waiting: mustWait = true
        case .signal(let number):
          interrupted = number
          atEnd = true
        }
      }
      progress?.update(records: recordsSeen, bytes: 0)
    }
    try flush()
    if options.sync != .none { try syncAll() } else { try confirmAll() }
    if let interrupted {
      context.stderr.write("kq: interrupted; \(recordsStored) record\(recordsStored == 1 ? "" : "s") stored\n")
      throw interrupted == SIGTERM ? ExitStatus.terminated : ExitStatus.interrupted
    }
  }

  // MARK: Input

  private enum Readiness { case ready, waiting, signal(Int32) }

  /// Whether more input is available right now, without blocking.
  private func inputReadiness() -> Readiness {
    guard let fd = context.stdin.descriptor else { return .ready }
    return poll(fd, timeout: 0)
  }

  /// Blocks until input is readable or a signal arrives, syncing once a second meanwhile.
  private func waitForInput() throws -> Readiness {
    guard let fd = context.stdin.descriptor else { return .ready }
    while true {
      var timeout: Int32 = -1
      if unsynced && options.sync == .exit {
        timeout = Self.millisUntilSync(lastSyncMillis: lastSyncMillis, now: context.clock.nowMillis())
      }
      let readiness = poll(fd, timeout: timeout)
      if case .waiting = readiness {
        if unsynced && options.sync == .exit { try syncAll() }
        continue
      }
      return readiness
    }
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
  private func consumeInput(atEnd: Bool) throws {
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

  private enum ReadAheadEnd { case ended, interrupted(Int32), lineLongerThanRing }

  /// Stdin read on a second thread from now on, what `input` holds first; nil (reading goes on
  /// here) where stdin is no descriptor, the process may use one core only (the thread would
  /// only add switches: 87 → 93 ms under `taskset -c 0`), records are compressed (the
  /// compressor's thread has the second core), or the thread cannot be made. Tried once.
  private func startReadingAhead() -> InputReadAhead? {
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
  private func readAhead(_ ahead: InputReadAhead) throws -> ReadAheadEnd {
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
      var timeout: Int32 = -1
      if unsynced && options.sync == .exit {
        timeout = Self.millisUntilSync(lastSyncMillis: lastSyncMillis, now: context.clock.nowMillis())
      }
      switch ahead.wait(forMoreThan: scanned, signals: context.signals?.fd, timeout: timeout) {
      case .more: break
      case .timeout: if unsynced && options.sync == .exit { try syncAll() }
      case .signal:
        if let number = context.signals?.pending() { return .interrupted(number) }
      }
    }
  }

  // MARK: Records

  /// The common input, keyless lines into one partition, encoded by `BatchEncoder.appendLines`
  /// (the loop `kq pipe` uses too): no per-record look at flags, partition or encoder. Stops
  /// before the first line that may be too large (`record` then decides) and returns where it
  /// stopped.
  private func plainRecords(_ base: UnsafeMutableRawPointer, count: Int, delimiter: Int32) -> Int {
    let partition = options.partition ?? stickyPartition
    let encoder = unretainedEncoders[partition] ?? Unmanaged.passUnretained(makeEncoder(partition))
    let headers = fixedHeaderBytes
    let largestValue = Int(config.maxMessageBytes) - headers.count - batchOverhead
    let appended = encoder._withUnsafeGuaranteedRef { encoder in
      encoder.appendLines(
        base, from: 0, count: count, delimiter: delimiter, headers: headers, timestamp: timestamp, largestValue: largestValue,
        stopsBeforeBatch: false)
    }
    recordsSeen += appended.records
    pendingBytes += appended.bytes
    return appended.end
  }

  /// Keyed lines through `keyedLines`; a line it leaves (no delimiter, maybe too large) goes
  /// through `record` and the loop goes on after it. Returns where the last whole line ended.
  private func keyedRecords(_ keyed: KeyedLineEncoder, _ base: UnsafeMutableRawPointer, count: Int, delimiter: Int32)
    throws -> Int
  {
    var start = 0
    while start < count {
      let progress = unretainedEncoders.withUnsafeBufferPointer {
        keyed.encode(base, from: start, count: count, into: $0, timestamp: timestamp)
      }
      recordsSeen += progress.records
      pendingBytes += progress.bytes
      start = progress.end
      if let partition = progress.partitionWithoutEncoder {
        _ = makeEncoder(partition)
        continue
      }
      guard start < count, let found = memchr(base + start, delimiter, count - start) else { break }
      let end = UnsafeMutableRawPointer(found) - base
      try record(UnsafeRawBufferPointer(start: base + start, count: end - start))
      start = end + 1
    }
    return start
  }

  @inline(__always)
  private func record(_ bytes: UnsafeRawBufferPointer) throws {
    recordsSeen += 1
    if options.framing == .json { return try jsonRecord(bytes) }
    var key: UnsafeRawBufferPointer? = nil
    var value: UnsafeRawBufferPointer? = bytes
    if options.keyDelimiter != nil {
      if let (split, length) = findKeyDelimiter(in: bytes) {
        key = UnsafeRawBufferPointer(rebasing: bytes[0..<split])
        value = UnsafeRawBufferPointer(rebasing: bytes[(split + length)...])
      } else if let fixed = options.fixedKey {
        return try fixed.withUnsafeBytes { try store(key: $0, value: emptyAsNull(bytes), headers: nil, partition: nil, timestamp: nil) }
      }
    } else if let fixed = options.fixedKey {
      return try fixed.withUnsafeBytes { try store(key: $0, value: emptyAsNull(bytes), headers: nil, partition: nil, timestamp: nil) }
    }
    if let v = value { value = emptyAsNull(v) }
    try store(key: key, value: value, headers: nil, partition: nil, timestamp: nil)
  }

  @inline(__always)
  private func emptyAsNull(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    options.emptyAsNull && bytes.count == 0 ? nil : bytes
  }

  /// Where `-K`'s delimiter starts in `bytes`, and its length.
  @inline(__always)
  private func findKeyDelimiter(in bytes: UnsafeRawBufferPointer) -> (Int, Int)? {
    if let byte = keyDelimiterByte {
      guard let base = bytes.baseAddress, let hit = memchr(base, byte, bytes.count) else { return nil }
      return (UnsafeRawPointer(hit) - base, 1)
    }
    guard let delimiter = options.keyDelimiter, let at = find(delimiter, in: bytes) else { return nil }
    return (at, delimiter.count)
  }

  private func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
    guard let base = bytes.baseAddress, !needle.isEmpty else { return nil }
    return needle.withUnsafeBytes { n -> Int? in
      guard let first = n.first, let needleBase = n.baseAddress else { return nil }
      var start = 0
      while start + n.count <= bytes.count {
        guard let hit = memchr(base + start, Int32(first), bytes.count - start) else { return nil }
        let at = UnsafeRawPointer(hit) - base
        if at + n.count > bytes.count { return nil }
        if memcmp(base + at, needleBase, n.count) == 0 { return at }
        start = at + 1
      }
      return nil
    }
  }

  private func jsonRecord(_ bytes: UnsafeRawBufferPointer) throws {
    var line = bytes
    if line.count > 0 && line[line.count - 1] == 13 { line = UnsafeRawBufferPointer(rebasing: line[0..<(line.count - 1)]) }
    if line.allSatisfy({ $0 == 32 || $0 == 9 }) {
      recordsSeen -= 1  // blank lines between JSON records are skipped
      return
    }
    let parsed: JSONRecord
    do { parsed = try JSONRecord.parse(line) } catch {
      try flush()
      throw ProduceInputError.malformedJSON(line: recordsSeen, reason: error.message, stored: recordsStored)
    }
    if let timestamp = parsed.timestamp, !RecordTimestamp.isValid(timestamp) {
      try flush()
      throw ProduceInputError.malformedJSON(
        line: recordsSeen, reason: "timestamp \(timestamp) is before 1970: a record's time is 1970 or later, or -1 for none",
        stored: recordsStored)
    }
    var headers = options.headers
    headers += parsed.headers.map { Header(key: $0.key, value: $0.value) }
    let encoded = EncodedHeaders(headers)
    let key = parsed.key ?? options.fixedKey
    try encoded.bytes.withUnsafeBytes { headerBytes in
      try withOptionalBytes(key) { key in
        try withOptionalBytes(parsed.value) { value in
          try store(
            key: key, value: value.map { emptyAsNull($0) } ?? nil, headers: headerBytes,
            partition: parsed.partition, timestamp: parsed.timestamp)
        }
      }
    }
  }

  @inline(__always)
  private func store(
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer?, partition explicit: Int?,
    timestamp recordTimestamp: Int64?
  ) throws {
    let partition: Int
    if let fixed = options.partition {
      partition = fixed
    } else if let explicit {
      if explicit >= config.partitions {
        try flush()
        guard addsPartitions, explicit < TopicConfig.maxPartitions else {
          throw ProduceInputError.partitionOutOfRange(
            line: recordsSeen, partition: explicit, partitions: config.partitions, stored: recordsStored, topic: options.topic.value)
        }
        try addPartitions(upTo: explicit)
      }
      partition = explicit
    } else if let key {
      partition = config.partitions == 1 ? 0 : Partitioner.partition(forKey: key, partitions: config.partitions)
    } else {
      partition = stickyPartition
    }
    if key == nil && isCompacted {
      try flush()
      throw ProduceInputError.keyRequired(line: recordsSeen, stored: recordsStored, topic: options.topic.value)
    }
    let headerBytes = headers ?? fixedHeaderBytes
    let approximate = (key?.count ?? 0) + (value?.count ?? 0) + headerBytes.count + batchOverhead
    if approximate > Int(config.maxMessageBytes) {
      let size = BatchEncoder.batchSize(key: key, value: value, headerBytes: headerBytes.count)
      if size > Int(config.maxMessageBytes) {
        try flush()
        throw ProduceInputError.recordTooLarge(
          line: recordsSeen, size: size, limit: config.maxMessageBytes, stored: recordsStored, topic: options.topic.value)
      }
    }
    let encoder = unretainedEncoders[partition] ?? Unmanaged.passUnretained(makeEncoder(partition))
    pendingBytes += encoder._withUnsafeGuaranteedRef {
      $0.append(key: key, value: value, headers: headerBytes, timestamp: recordTimestamp ?? timestamp)
    }
    if options.printOffsets { pendingPartitions.append(Int32(partition)) }
  }

  private func makeEncoder(_ partition: Int) -> BatchEncoder {
    let codec = config.compressionType.storedCodec(requested: options.compression)
    let limit = min(config.maxBatchBytes, codec == .none ? Self.batchBytes : Self.compressedBatchBytes)
    let encoder = BatchEncoder(maxBatchBytes: limit, capacity: 1 << 16)
    encoder.codec = codec
    if encoder.codec != .none {
      let shared = compressor ?? BatchCompressor()
      compressor = shared
      encoder.compressor = shared
    }
    if config.timestampType == .logAppendTime {
      let clock = context.clock
      encoder.logAppendTime = { clock.nowMillis() }
    }
    encoders[partition] = encoder
    return encoder
  }

  deinit {
    for writer in writers.values { writer.close() }
  }
}
