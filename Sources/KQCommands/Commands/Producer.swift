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
  var triedReadAhead = false
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
  private(set) var unretainedEncoders: [Unmanaged<BatchEncoder>?] = []
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
  let fixedHeaderBytes: UnsafeRawBufferPointer
  /// What a batch adds to a record, and a little more: records under the limit by more than
  /// this need no exact size check.
  let batchOverhead = BatchLayout.headerSize + 32
  var timestamp: Int64 = 0
  var recordsSeen = 0
  var recordsStored = 0
  var unsynced = false
  var lastSyncMillis: Int64
  let progress: ProgressLine?
  let output = ByteBuffer(capacity: 1 << 16)
  /// `-K`'s delimiter when it is one byte (the usual case): found with one `memchr`.
  let keyDelimiterByte: Int32?
  /// A compacted topic refuses records without a key.
  let isCompacted: Bool
  /// Lines without keys, -Z, -p's offsets or JSON, into a topic that takes keyless records:
  /// `plainRecords` encodes them.
  let isPlainInput: Bool
  /// `KEY:VALUE` lines with a one-byte delimiter, each record to its key's partition, without
  /// -p, -Z or --print-offsets: `keyedRecords` encodes them through it.
  let keyedLines: KeyedLineEncoder?
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
    if let interrupted { throw Self.interruption(by: interrupted, stored: recordsStored, context) }
  }

  /// Says how many records an interrupted run stored; the status to exit with (130 or 143).
  static func interruption(by signal: Int32?, stored: Int, _ context: Context) -> ExitStatus {
    context.stderr.write("kq: interrupted; \(stored) record\(stored == 1 ? "" : "s") stored\n")
    return signal == SIGTERM ? .terminated : .interrupted
  }

  /// The encoder of `partition`, made now: batches of 128 KiB (256 KiB with a codec) or the
  /// topic's max.message.bytes when smaller, compressed on the shared compressor's thread.
  func makeEncoder(_ partition: Int) -> BatchEncoder {
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
