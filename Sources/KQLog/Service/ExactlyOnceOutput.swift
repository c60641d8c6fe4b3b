/// One partition of an input topic.
package struct InputPartition: Hashable, Comparable, Sendable, CustomStringConvertible {
  package var topic: TopicName
  package var partition: Int

  package init(topic: TopicName, partition: Int) {
    self.topic = topic
    self.partition = partition
  }

  package static func < (a: InputPartition, b: InputPartition) -> Bool {
    (a.topic, a.partition) < (b.topic, b.partition)
  }

  package var description: String { topic.value + "-" + String(partition) }
}

/// Where a group goes on with an input partition: first the `replays`, input ranges whose
/// output may be partly written and whose offsets were not committed, each to be processed
/// again exactly as it is (same first and end offsets, same records); then on from `offset`.
package struct InputResume: Equatable, Sendable {
  package var offset: Int64
  package var replays: [Range<Int64>]

  package init(offset: Int64, replays: [Range<Int64>]) {
    self.offset = offset
    self.replays = replays
  }
}

/// The output of a stream processor (`kq pipe`) and its group's input offsets, moving together:
/// exactly once. Records are added for one input range at a time (`begin`, `add`..., `end`);
/// `commit` makes every range ended so far count: its output stored, the group's offsets past
/// it. After a crash at any moment, `resume` says what to process again so that no output is
/// lost or written twice (for a processor that gives the same output for the same input).
///
/// Locally (`MarkedOutput`) each output batch names the input range it came from, and `resume`
/// reads the output's tail (FORMAT.md, "Pipes"); on a Kafka cluster this is a transaction
/// (AddPartitionsToTxn, TxnOffsetCommit, EndTxn), and `resume` has nothing to replay.
package protocol ExactlyOnceOutput: AnyObject {
  /// The output topic's configuration (partition count, record size limit).
  var config: TopicConfig { get }
  /// Called before reading with every input partition this process holds (under the group's
  /// lease): where each goes on. `start` gives the offset of a partition the group has never
  /// committed. On a cluster it is called again after each rebalance, with the partitions held
  /// in the new generation, once every range ended before it was committed or aborted:
  /// partitions no longer held are let go, and each held one goes on from the group's commit.
  func resume(_ inputs: [InputPartition], start: (InputPartition) throws -> Int64) throws -> [InputPartition: InputResume]
  /// Starts the output of input offsets `range` (records at `range.lowerBound` up to before
  /// `range.upperBound`) of `input`. A range `resume` returned must be begun exactly as returned.
  func begin(_ input: InputPartition, range: Range<Int64>)
  /// Adds one output record for output partition `partition`; `headers` is an encoded header
  /// section (count, then each header). Records reach the log at `end`.
  func add(
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer, timestamp: Int64,
    partition: Int)
  /// Adds the terminated lines of `base[start..<count]` split at `delimiter`, as `add` would
  /// one by one: records without a key, each line (its terminator left out) as the value, with
  /// `headers`, into output partition `partition`. The bulk path of the usual output (see
  /// `BatchEncoder.appendLines`): it stops at the first unterminated line, before a line longer
  /// than `largestValue`, or earlier, and the caller adds the line it stopped at with `add`.
  func addLines(
    _ base: UnsafeRawPointer, from start: Int, count: Int, delimiter: Int32, headers: UnsafeRawBufferPointer,
    timestamp: Int64, largestValue: Int, partition: Int
  ) -> BatchEncoder.AppendedLines
  /// Room for about `bytes` of output in `partition`, asked before a range's records come when
  /// they all go there: its encoder is made that large at once instead of growing (and copying
  /// itself into fresh memory) as they come. Only the bytes used become resident.
  func reserve(bytes: Int, partition: Int)
  /// `reserve`, asked before the first batch is read; returns the memory that a range of about
  /// `bytes` will fill, for the caller to fault in on a thread meanwhile (`PagePopulation`).
  func prepare(bytes: Int, partition: Int) -> [UnsafeMutableRawBufferPointer]
  /// Stores the range's output (nothing of it is visible before).
  func end() throws(StorageError)
  /// Drops what was added since `begin`: nothing of the range is stored or committed.
  func abort()
  /// Makes the output of every range ended so far durable and commits the group's offsets past
  /// them (`end` may too, when the mechanism needs it). On a cluster whose group generation
  /// ended before the offsets could be committed in it (a rebalance), the output of the ranges
  /// not committed is aborted with them, and `end` or `commit` throws
  /// `ClusterFailure.generationEnded`: the group must be joined again.
  func commit() throws(StorageError)
  /// Asked before an input partition's offset is committed: the reader's check that its topic
  /// still exists (was not deleted, nor deleted and created again).
  var confirmsInput: ((InputPartition) throws(StorageError) -> Void)? { get set }
  /// The most bytes the mechanism's own headers add to a record, for `max.message.bytes`.
  var reservedHeaderBytes: Int { get }
  /// Ranges ended and not committed yet.
  var hasUncommittedRanges: Bool { get }
  func close()
}

extension ExactlyOnceOutput {
  package func prepare(bytes: Int, partition: Int) -> [UnsafeMutableRawBufferPointer] {
    reserve(bytes: bytes, partition: partition)
    return []
  }
}
