import Glibc
import KQLog

/// The copy loop of `kq mirror`: each source batch's records decoded in place once and
/// re-encoded into one reused buffer per partition (no allocation per record), appended to
/// DST in one call for every partition at once, made durable, and only then committed as the
/// group's offsets on SRC's side. A kill at any moment leaves the committed offsets at or
/// before what DST holds durably: records are copied at least once.
final class Mirror {
  /// Appends happen once this many bytes are pending over all partitions, or when caught up.
  static let flushBytes = 1 << 20
  /// DST is made durable and the group's offsets committed at most this often while records
  /// flow (and always when caught up, before waiting, and at the end): an fsync per 1 MiB flush
  /// made a local copy of 100 MB take 3.2-3.9 s instead of 0.3 s.
  static let commitIntervalMillis: Int64 = 1000

  struct Lane {
    var cursor: Consumer.Cursor
    let writer: any PartitionWriting
    let encoder: BatchEncoder
    /// The group's offset on SRC's side, as last committed.
    var committed: Int64?
    var records = 0
    /// Bytes of keys and values copied.
    var bytes: Int64 = 0

    init(cursor: Consumer.Cursor, writer: any PartitionWriting, committed: Int64?) {
      self.cursor = cursor
      self.writer = writer
      self.committed = committed
      // Small at first: a topic of thousands of partitions must not cost 64 KiB each up front.
      self.encoder = BatchEncoder(maxBatchBytes: Producer.batchBytes, capacity: 1 << 12)
    }
  }

  enum Ending { case finished, interrupted(Int32) }

  private let sourceService: any LogService
  private let sourceTopic: TopicName
  private let destinationService: any LogService
  private let group: GroupName
  private var lanes: [Lane]
  private let watcher: FollowWatcher?
  private let context: Context
  private let progress: ProgressLine?
  private var pendingBytes = 0
  private var lastCommitMillis: Int64
  /// Partitions appended to since DST was last made durable.
  private var unsynced: Set<Int> = []
  private var copied = 0
  /// A header section rebuilt when the source's count varint is not in its shortest form.
  private let headerScratch = ByteBuffer(capacity: 256)

  init(
    source: (service: any LogService, topic: TopicName), destination: (service: any LogService, config: TopicConfig),
    group: GroupName, lanes: [Lane], watcher: FollowWatcher?, context: Context
  ) {
    sourceService = source.service
    sourceTopic = source.topic
    destinationService = destination.service
    self.group = group
    self.lanes = lanes
    self.watcher = watcher
    self.context = context
    progress = context.stderrIsInteractive ? ProgressLine(context: context) : nil
    lastCommitMillis = context.clock.nowMillis()
    let config = destination.config
    for lane in lanes {
      lane.encoder.maxBatchBytes = min(config.maxBatchBytes, Producer.batchBytes)
      lane.encoder.codec = config.compressionType.storedCodec(requested: .none)
      if config.timestampType == .logAppendTime {
        let clock = context.clock
        lane.encoder.logAppendTime = { clock.nowMillis() }
      }
    }
  }

  func run() throws -> Ending {
    defer { progress?.finish() }
    while true {
      var progressed = false
      for index in lanes.indices where !lanes[index].cursor.isDone {
        if try copyBatch(index) { progressed = true }
        if pendingBytes >= Self.flushBytes { try flush(commit: isCommitDue) }
      }
      progress?.update(records: copied, bytes: 0)
      if let number = context.signals?.pending() {
        try flush(commit: true)
        return .interrupted(number)
      }
      if progressed { continue }
      try flush(commit: true)
      guard let watcher, !lanes.allSatisfy({ $0.cursor.isDone }) else { return .finished }
      switch watcher.wait(signals: context.signals, stdout: nil, timeoutMillis: nil) {
      case .changed, .timeout, .readerGone: break
      case .signal(let number): return .interrupted(number)
      }
    }
  }

  /// Encodes the records of one source batch for DST. False when the partition had nothing new.
  private func copyBatch(_ index: Int) throws -> Bool {
    var lane = lanes[index]
    defer { lanes[index] = lane }
    if lane.cursor.next >= lane.cursor.stopAt {
      lane.cursor.isDone = true
      return false
    }
    let read = try lane.cursor.reader.nextBatch()
    if lane.cursor.reader.hasLostOffsets { Consumer.warnAboutLostOffsets(lane.cursor, context: context) }
    guard let batch = read else {
      if watcher == nil { lane.cursor.isDone = true }
      return false
    }
    let next = lane.cursor.next
    let stopAt = lane.cursor.stopAt
    let encoder = lane.encoder
    let scratch = headerScratch
    var last = next
    var count = 0
    var bytes: Int64 = 0
    var added = 0
    do {
      try batch.forEachRecord { record in
        if record.offset < next { return true }
        if record.offset >= stopAt { return false }
        let headers = Self.headerSection(of: record, scratch: scratch)
        added += encoder.append(key: record.key, value: record.value, headers: headers, timestamp: record.timestamp)
        bytes &+= Int64((record.key?.count ?? 0) &+ (record.value?.count ?? 0))
        count += 1
        last = record.offset + 1
        return true
      }
    } catch let error as BatchDecodeError {
      throw lane.cursor.reader.damage(error)
    }
    // Offsets the batch holds no records for (control records, a compacted gap) are passed.
    lane.cursor.next = max(last, min(batch.nextOffset, stopAt), next)
    if lane.cursor.next >= stopAt { lane.cursor.isDone = true }
    lane.records += count
    lane.bytes &+= bytes
    copied += count
    pendingBytes += added
    return true
  }

  /// A record's header section as a batch stores it (the count varint, then the headers): in
  /// place in the source batch, or rebuilt in `scratch` when the count was not written shortest.
  @inline(__always)
  private static func headerSection(of record: RecordView, scratch: ByteBuffer) -> UnsafeRawBufferPointer {
    let countSize = VarInt.size(Int64(record.headerCount))
    if let after = record.headerBytes.baseAddress {
      let start = after - countSize
      var position = 0
      if VarInt.read(start, at: &position, end: countSize, maxBytes: countSize) == Int64(record.headerCount),
        position == countSize
      {
        return UnsafeRawBufferPointer(start: start, count: countSize + record.headerBytes.count)
      }
    }
    scratch.count = 0
    scratch.reserve(10 + record.headerBytes.count)
    scratch.count = VarInt.write(Int64(record.headerCount), to: scratch.base)
    scratch.append(record.headerBytes)
    return scratch.bytes
  }

  /// A second since the last commit, or a wall clock that stepped back past it.
  private var isCommitDue: Bool {
    let (elapsed, overflow) = context.clock.nowMillis().subtractingReportingOverflow(lastCommitMillis)
    return overflow || elapsed < 0 || elapsed >= Self.commitIntervalMillis
  }

  /// Appends what every partition has pending; with `commit`, then makes every partition
  /// appended to durable on DST (fsynced, or acknowledged by every in-sync replica) and only
  /// then commits each partition's position on SRC's side: never a commit ahead of DST.
  private func flush(commit: Bool) throws {
    var appends: [PartitionAppend] = []
    var appended: [Int] = []
    for index in lanes.indices where !lanes[index].encoder.isEmpty {
      let bytes = lanes[index].encoder.finish()
      appends.append(PartitionAppend(writer: lanes[index].writer, batches: UnsafeMutableRawBufferPointer(mutating: bytes)))
      appended.append(index)
    }
    if !appends.isEmpty {
      let results = destinationService.append(appends)
      for (position, index) in appended.enumerated() {
        guard position < results.count else { throw StorageError.io(.io, operation: "append", path: "") }
        switch results[position] {
        case .success: lanes[index].encoder.reset()
        case .failure(.appendStoppedPartway(_, _, let cause)): throw cause
        case .failure(let error): throw error
        }
      }
      unsynced.formUnion(appended)
    }
    pendingBytes = 0
    guard commit else { return }
    for index in unsynced.sorted() { try lanes[index].writer.makeDurable() }
    unsynced.removeAll(keepingCapacity: true)
    lastCommitMillis = context.clock.nowMillis()
    for index in lanes.indices where lanes[index].committed != lanes[index].cursor.next {
      let cursor = lanes[index].cursor
      try cursor.reader.confirmTopicExists()
      try sourceService.commit(
        group: group, topic: sourceTopic, partition: cursor.partition, offset: cursor.next, readBy: cursor.reader)
      lanes[index].committed = cursor.next
    }
  }

  /// `--json`: what this run copied, per partition, and where each partition's copy stands.
  func summary(source: String, destination: String) -> String {
    let partitions = lanes.map { lane in
      JSONText.object([
        ("partition", String(lane.cursor.partition)), ("records", String(lane.records)), ("bytes", String(lane.bytes)),
        ("next_offset", String(lane.cursor.next)),
      ])
    }
    return JSONText.object([
      ("source", JSONText.string(source)), ("destination", JSONText.string(destination)),
      ("group", JSONText.string(group.value)), ("records", String(copied)),
      ("bytes", String(lanes.reduce(Int64(0)) { $0 &+ $1.bytes })), ("partitions", JSONText.array(partitions)),
    ])
  }
}
