import KQLog

/// Reads one partition from its leader, a fetch at a time (up to `fetchBytes`), handing out
/// the batches in place: checked (length, magic, CRC, offsets), control batches passed over,
/// compressed ones decoded. Offsets below the log start (retention got there first) are
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

  init(service: KafkaLogService, topic: TopicName, partition: Int32, maxMessageBytes: Int) {
    self.service = service
    self.topic = topic
    self.partition = partition
    self.maxMessageBytes = maxMessageBytes
  }

  /// Bytes asked of one fetch (at least one whole batch comes, however large).
  var fetchBytes: Int32 { Int32(clamping: max(4 << 20, maxMessageBytes)) }

  /// Whether batches fetched are waiting to be handed out.
  var hasFetchedBatches: Bool { cursor < fetched.count }

  func bounds() throws(StorageError) -> (start: Int64, end: Int64) {
    try service.bounds(topic.value, partition: partition)
  }

  func seek(to offset: Int64) throws(StorageError) {
    position = offset
    fetched.count = 0
    cursor = 0
  }

  func nextBatch() throws(StorageError) -> RecordBatchView? {
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
        cursor += batch.size
        if batch.lastOffset < position { continue }
        position = batch.nextOffset
        if batch.isControl { continue }
        lastBaseOffset = batch.baseOffset
        if batch.compressionCodec == 0 { return batch }
        do { return try batch.decompressed(into: decompressed, maxMessageBytes: maxMessageBytes) } catch {
          throw damage(error)
        }
      }
      guard try fetch(maxWait: .zero) else { return nil }
    }
  }

  /// Fetches from `position`, waiting up to `maxWait` on the broker for records; true when
  /// batches came (or offsets lost to retention were passed over: read again).
  @discardableResult
  func fetch(maxWait: Duration) throws(StorageError) -> Bool {
    fetched.count = 0
    cursor = 0
    let answer: KafkaCluster.FetchedRecords
    do {
      answer = try service.cluster.fetch(
        topic.value, partition: partition, from: position, maxBytes: fetchBytes, maxWait: maxWait)
    } catch {
      guard error.code == .offsetOutOfRange else { throw error.storageError }
      let (start, _) = try bounds()
      guard position < start else { return false }  // past the end: nothing yet
      lost.append(position...(start - 1))
      position = start
      return true
    }
    answer.records.withUnsafeBytes { fetched.append($0) }
    return !answer.records.isEmpty
  }

  var hasLostOffsets: Bool { !lost.isEmpty }

  func takeOffsetsLostToRetention() -> [ClosedRange<Int64>] {
    defer { lost = [] }
    return lost
  }

  /// Nothing on a cluster is moved aside by `kq verify --repair`.
  func wasMovedAside(_ range: ClosedRange<Int64>) -> Bool { false }

  /// A deleted topic fails the next fetch and commit by itself.
  func confirmTopicExists() throws(StorageError) {}

  func damage(_ reason: BatchDecodeError) -> StorageError {
    .undecodableFetchedBatch(topic: topic.value, partition: Int(partition), offset: lastBaseOffset, reason: reason)
  }
}
