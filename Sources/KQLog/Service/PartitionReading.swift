/// Reads one partition forward.
package protocol PartitionReading: AnyObject {
  /// The offset of the next record `nextBatch` returns.
  var position: Int64 { get }
  func bounds() throws(StorageError) -> (start: Int64, end: Int64)
  func seek(to offset: Int64) throws(StorageError)
  /// The next batch at or after `position`, or nil when caught up with the log end. Records
  /// that retention removed before they were returned are passed over, never silently: see
  /// `takeOffsetsLostToRetention`.
  func nextBatch() throws(StorageError) -> RecordBatchView?
  /// Whether `nextBatch` passed over offsets that retention removed, since the last take.
  var hasLostOffsets: Bool { get }
  /// The offsets `nextBatch` passed over because retention removed them first, oldest first.
  func takeOffsetsLostToRetention() -> [ClosedRange<Int64>]
  /// Whether a range `takeOffsetsLostToRetention` gave was moved aside by `kq verify --repair`
  /// (listed in kq.unreadable) rather than removed by retention.
  func wasMovedAside(_ range: ClosedRange<Int64>) -> Bool
  /// Throws `topicDeleted` when the topic was deleted (or deleted and created again) since this
  /// reader opened it: offsets it read must not be committed to another topic of that name.
  func confirmTopicExists() throws(StorageError)
  /// The error for `reason`, found decoding the records of the batch `nextBatch` returned
  /// last, with the place of that batch (file and byte).
  func damage(_ reason: BatchDecodeError) -> StorageError
  /// Where the log now ends, when it was found ending before this reader's position (a
  /// cluster whose broker came back without the records: Kafka's OFFSET_OUT_OF_RANGE past the
  /// end), or where it starts when the topic was created again. The reader has moved there;
  /// the caller's next offset must too. Taken once.
  func takeLogRewind() -> LogRewind?
  /// Whether this reader has handed out compressed batches, which it decodes on a thread of
  /// its own from the second on: that thread wants the second core.
  var decodesOnAThread: Bool { get }
  /// Whether `nextUncheckedBatch` hands out batches (a local log's reader); nil from it otherwise.
  var offersUncheckedBatches: Bool { get }
  /// Like `nextBatch`, but the batch's CRC is left to the caller (`RecordBatchView.validateCRC`)
  /// and a compressed batch is handed out as stored, for the caller to decode. Every other check
  /// is made, as by `nextBatch`. A batch that fails the caller's checks is read again with
  /// `nextBatch` after a `seek` to its base offset, which reports the damage (or, at the end of
  /// the newest segment, waits out a write in progress) as it always does.
  func nextUncheckedBatch() throws(StorageError) -> UncheckedBatch?
}

/// A log found ending before a reader's position: the records from `end` to `position` are
/// gone, and what is appended from `end` on is new. Or, with `topicCreatedAgain`, the topic was
/// deleted and created again under its name (a cluster says so by its topic id): the whole log
/// is new, and `end` is its start.
package struct LogRewind: Equatable, Sendable {
  package var position: Int64
  package var end: Int64
  package var topicCreatedAgain = false

  package init(position: Int64, end: Int64, topicCreatedAgain: Bool = false) {
    self.position = position
    self.end = end
    self.topicCreatedAgain = topicCreatedAgain
  }
}

extension PartitionReading {
  /// A local log never ends before what was read from it.
  package func takeLogRewind() -> LogRewind? { nil }
  /// A reader decodes the batches it hands out on the caller's thread unless it says otherwise.
  package var decodesOnAThread: Bool { false }
  package var offersUncheckedBatches: Bool { false }
  package func nextUncheckedBatch() throws(StorageError) -> UncheckedBatch? { nil }
}
