import KQLog

/// Reads one partition from its leader, a fetch at a time (up to `fetchBytes`), handing out
/// the batches in place: checked (length, magic, CRC, offsets), control batches passed over,
/// compressed ones decoded. Reading committed records (the default), it stops at the last
/// stable offset and passes over the batches of aborted transactions (`TransactionFilter`). Offsets below the log start (retention got there first) are
/// passed over and reported, as locally.
final class KafkaPartitionReader: PartitionReading {
  let service: KafkaLogService
  let topic: TopicName
  let partition: Int32
  let maxMessageBytes: Int
  private(set) var position: Int64 = 0
  /// Whole batches of the last fetch; `cursor` is where the next one starts.
  private let fetched = ByteBuffer(capacity: 1 << 16)
  private var cursor = 0
  private let decompressed = ByteBuffer(capacity: 1 << 16)
  private var lost: [ClosedRange<Int64>] = []
  /// The base offset of the batch returned last, for `damage`.
  private var lastBaseOffset: Int64 = 0
  let isolation: FetchIsolation
  /// Decides the transactional batches of the last fetch, as they are handed out.
  private var transactions = TransactionFilter([])

  init(
    service: KafkaLogService, topic: TopicName, partition: Int32, maxMessageBytes: Int, topicId: KafkaUUID = .zero,
    isolation: FetchIsolation = .readCommitted
  ) {
    self.topicId = topicId
    self.connectionLossesSeen = service.cluster.connectionLosses
    self.service = service
    self.isolation = isolation
    self.topic = topic
    self.partition = partition
    self.maxMessageBytes = maxMessageBytes
    self.fetchBytes = Int32(clamping: max(4 << 20, maxMessageBytes))
  }

  /// Bytes asked of one fetch (at least one whole batch comes, however large); raised when a
  /// broker cut the first batch at the limit.
  private(set) var fetchBytes = Int32(4 << 20)
  /// Where the last fetch said reading stops for now (the last stable offset reading committed
  /// records, else the high watermark): below it, an empty answer is not the end.
  private var highWatermark: Int64 = 0
  /// Set when a `KafkaRecordWaiter` follows this reader: caught up with the high watermark
  /// the last fetch reported, `nextBatch` answers nothing without asking the leader again,
  /// and the waiter's long poll (every followed partition in one request) looks for more.
  var isFollowed = false
  private var hasFetched = false
  /// The cluster's `connectionLosses` when this reader last made sure of its topic. After a
  /// loss (a broker restarting, the network) the next answer is checked for a topic created
  /// again meanwhile (its id) and for a log that now ends before `position` (Tansu answers a
  /// fetch past the end with nothing, where Kafka says OFFSET_OUT_OF_RANGE; only after an
  /// outage is that a restart); so is the next commit (`confirmTopicExists`).
  private var connectionLossesSeen: Int
  var checksForLostRecords: Bool { service.cluster.connectionLosses != connectionLossesSeen }
  /// A log found ending before `position`, for `takeLogRewind`.
  private var rewind: LogRewind?
  /// The topic's id when the reader opened it (zero where the broker gives none): a new one
  /// after an outage means the topic was created again.
  private var topicId: KafkaUUID

  /// Whether batches fetched are waiting to be handed out.
  var hasFetchedBatches: Bool { cursor < fetched.count }

  func bounds() throws(StorageError) -> (start: Int64, end: Int64) {
    try service.bounds(topic.value, partition: partition, isolation: isolation)
  }

  func seek(to offset: Int64) throws(StorageError) {
    position = offset
    fetched.count = 0
    cursor = 0
    transactions = TransactionFilter([])  // markers learned ahead say nothing of earlier batches
  }

  func nextBatch() throws(StorageError) -> RecordBatchView? {
    if let failure { throw failure }
    while true {
      if cursor < fetched.count {
        let at = fetched.base + cursor
        let batch: RecordBatchView
        do {
          batch = try RecordBatchView(at: at, available: fetched.count - cursor)
          try batch.validateCRC()
          try BatchCheck.offsets(
            baseOffset: batch.baseOffset, lastOffsetDelta: batch.lastOffsetDelta, recordCount: batch.recordCount,
            expected: nil)
        } catch {
          fetched.count = 0
          cursor = 0
          throw .undecodableFetchedBatch(topic: topic.value, partition: Int(partition), offset: position, reason: error)
        }
        if isolation == .readCommitted {
          let ahead = UnsafeRawBufferPointer(start: at + batch.size, count: fetched.count - cursor - batch.size)
          switch transactions.verdict(on: batch, ahead: ahead) {
          case .keep: break
          case .skip:
            cursor += batch.size
            position = max(position, batch.nextOffset)
            continue
          case .undecided:
            if batch.lastOffset < position {
              cursor += batch.size
              continue
            }
            guard try findMarker(of: batch.producerId, after: batch.baseOffset) else {
              // The broker has not settled the transaction: nothing to read past it yet.
              highWatermark = position
              fetched.count = 0
              cursor = 0
              return nil
            }
            continue
          }
        } else if batch.isControl {
          cursor += batch.size
          position = max(position, batch.nextOffset)
          continue
        }
        cursor += batch.size
        if batch.lastOffset < position { continue }
        position = batch.nextOffset
        lastBaseOffset = batch.baseOffset
        if batch.compressionCodec == 0 { return batch }
        do { return try batch.decompressed(into: decompressed, maxMessageBytes: maxMessageBytes) } catch {
          throw damage(error)
        }
      }
      if isFollowed && hasFetched && position >= highWatermark { return nil }
      guard try fetchBelowHighWatermark() else { return nil }
    }
  }

  /// A transactional batch whose producer's marker the fetch did not bring: reads on from the
  /// end of the batches fetched, fetch after fetch (kept apart from them), until a control
  /// batch of that producer says whether its transaction committed, and teaches the filter.
  /// False when the last stable offset came first (the broker has not settled it yet). Costs a
  /// second read of a transaction longer than a fetch, on a broker that lists no aborted
  /// transactions or when it committed.
  private func findMarker(of producerId: Int64, after offset: Int64) throws(StorageError) -> Bool {
    var from = max(fetchedEnd, offset + 1)
    while from < highWatermark {
      let answer = try service.calling { () throws(KafkaError) in
        try service.cluster.fetch(topic.value, partition: partition, from: from, maxBytes: fetchBytes, isolation: isolation)
      }
      let found = answer.records.withUnsafeBytes { bytes -> (marker: (offset: Int64, aborts: Bool)?, end: Int64) in
        let marker = TransactionFilter.nextMarker(of: producerId, in: bytes)
        var end = from
        var at = 0
        while at < bytes.count, let base = bytes.baseAddress,
          let batch = try? RecordBatchView(at: base + at, available: bytes.count - at)
        {
          end = max(end, batch.nextOffset)
          at += batch.size
        }
        return (marker, end)
      }
      if let marker = found.marker, marker.offset > offset {
        transactions.learn(producerId: producerId, markerOffset: marker.offset, aborts: marker.aborts)
        return true
      }
      guard found.end > from else { return false }
      from = found.end
    }
    return false
  }

  /// The offset after the last whole batch of the last fetch.
  private var fetchedEnd: Int64 {
    var end = position
    var at = 0
    while at < fetched.count, let batch = try? RecordBatchView(at: fetched.base + at, available: fetched.count - at) {
      end = max(end, batch.nextOffset)
      at += batch.size
    }
    return end
  }

  /// Where this reader's next fetch starts, for a fetch of many partitions at once.
  var fetchTarget: FetchPartitionsRequest.Target {
    FetchPartitionsRequest.Target(topic: topic.value, partition: partition, offset: position)
  }

  /// Fetches at once; false when `position` is at the high watermark (caught up). A broker
  /// may answer no records below it (Tansu, when gathering them takes longer than the wait
  /// asked; or a first batch cut at `maxBytes`): then it is asked again, waiting longer and
  /// for more bytes, until records come or the operation's timeout passes.
  private func fetchBelowHighWatermark() throws(StorageError) -> Bool {
    let deadline = Deadline.after(service.cluster.options.timeout)
    var wait = Duration.zero
    while true {
      if try fetch(maxWait: wait) { return true }
      guard position < highWatermark else { return false }
      guard !deadline.hasPassed else {
        throw .cluster(
          reason: "topic '\(topic)' partition \(partition): the broker answered no records at offset \(position), "
            + "below its high watermark \(highWatermark)", failure: .unavailable)
      }
      wait = min(max(wait * 2, .milliseconds(10)), .milliseconds(500))
    }
  }

  /// Fetches from `position`, waiting up to `maxWait` on the broker for records; true when
  /// batches came (or offsets lost to retention were passed over: read again).
  @discardableResult
  func fetch(maxWait: Duration) throws(StorageError) -> Bool {
    try accept(
      Result { () throws(KafkaError) in
        try service.cluster.fetch(
          topic.value, partition: partition, from: position, maxBytes: fetchBytes, maxWait: maxWait, isolation: isolation)
      })
  }

  /// Takes a fetch's answer for `position` (its own, or its share of a fetch of many
  /// partitions): true when batches came (or offsets lost to retention were passed over).
  func accept(_ result: Result<KafkaCluster.FetchedRecords, KafkaError>) throws(StorageError) -> Bool {
    fetched.count = 0
    cursor = 0
    transactions.startFetch(listed: [])
    hasFetched = false  // until an answer came: `nextBatch` asks the leader itself
    let answer: KafkaCluster.FetchedRecords
    switch result {
    case .success(let records): answer = records
    case .failure(let error):
      if isFollowed && error.isOutage {  // the waiter's polls wait it out, with one notice
        hasFetched = true
        highWatermark = position
        return false
      }
      guard error.code == .offsetOutOfRange else { throw error.storageError }
      let (start, end) = try bounds()
      if position > end && end >= start { return rewound(to: end) }
      guard position < start else { return false }  // at the end: nothing yet
      lost.append(position...(start - 1))
      position = start
      return true
    }
    hasFetched = true
    highWatermark = answer.readableEnd(isolation)
    if checksForLostRecords, let createdAgain = isTopicCreatedAgain() {
      connectionLossesSeen = service.cluster.connectionLosses
      if createdAgain { return rewound(to: max(0, answer.logStartOffset), topicCreatedAgain: true) }
      if answer.records.isEmpty && highWatermark < position { return rewound(to: max(0, highWatermark)) }
    }
    transactions.startFetch(listed: answer.abortedTransactions)
    if let size = answer.firstBatchSize, size > Int(fetchBytes) {
      fetchBytes = Int32(clamping: min(size, service.cluster.options.maxResponseBytes - (1 << 16)))
    }
    answer.records.withUnsafeBytes { fetched.append($0) }
    return !answer.records.isEmpty
  }

  /// Moves to `end`, where the log now ends before `position` (or starts, when the topic was
  /// created again), and keeps that for the caller; the next `nextBatch` fetches from there.
  private func rewound(to end: Int64, topicCreatedAgain: Bool = false) -> Bool {
    rewind = LogRewind(position: position, end: end, topicCreatedAgain: topicCreatedAgain)
    position = end
    hasFetched = false
    transactions = TransactionFilter([])
    return true
  }

  /// Whether the topic's id is no longer the one it had when this reader opened it (asked
  /// anew: metadata cached from before an outage may be stale). False where the broker gives
  /// no ids; nil when it cannot say now.
  private func isTopicCreatedAgain() -> Bool? {
    guard topicId != .zero else { return false }
    let cluster = service.cluster
    cluster.forgetMetadata(of: topic.value)
    guard let now = try? cluster.topicMetadata(topic.value, deadline: .after(cluster.options.requestTimeout)) else {
      return nil
    }
    guard now.id != .zero, now.id != topicId else { return false }
    topicId = now.id
    return true
  }

  func takeLogRewind() -> LogRewind? {
    defer { rewind = nil }
    return rewind
  }

  var hasLostOffsets: Bool { !lost.isEmpty }

  func takeOffsetsLostToRetention() -> [ClosedRange<Int64>] {
    defer { lost = [] }
    return lost
  }

  /// Nothing on a cluster is moved aside by `kq verify --repair`.
  func wasMovedAside(_ range: ClosedRange<Int64>) -> Bool { false }

  /// Throws `topicDeleted` when the topic is not the one this reader opened:
  /// - after an outage, a topic created again meanwhile (a new topic id): the reader then
  ///   starts the new one from its log start (`takeLogRewind`), and nothing read from the old
  ///   one may be committed for it;
  /// - otherwise, when Metadata, asked afresh, no longer names the topic or names another of
  ///   its name: Tansu 0.6.0 answers a fetch of a deleted topic with no records and no error,
  ///   and takes commits for it.
  func confirmTopicExists() throws(StorageError) {
    if checksForLostRecords, isTopicCreatedAgain() == true {
      connectionLossesSeen = service.cluster.connectionLosses
      let start = (try? bounds())?.start ?? 0
      _ = rewound(to: start, topicCreatedAgain: true)
      throw .topicDeleted(topic.value)
    }
    try service.confirmTopic(topic, id: topicId)
  }

  /// What `nextBatch` throws from now on: set by a follower's waiter that found the topic gone.
  var failure: StorageError?

  func damage(_ reason: BatchDecodeError) -> StorageError {
    .undecodableFetchedBatch(topic: topic.value, partition: Int(partition), offset: lastBaseOffset, reason: reason)
  }
}
