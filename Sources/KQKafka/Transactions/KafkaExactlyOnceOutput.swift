import KQLog

/// `ExactlyOnceOutput` on a Kafka cluster (`kq pipe --brokers`): each input partition's output
/// and its offsets move together in Kafka transactions. Every input partition this process
/// holds has a transactional producer of its own, whose transactional id is derived from the
/// group and the partition (`kq-pipe.GROUP.TOPIC-PARTITION`): whichever process of the group
/// holds the partition next, after a rebalance or a kill -9, creates a producer of the same id
/// and so fences the one before and has the coordinator abort its open transaction, before it
/// reads the group's committed offsets. A range's output is produced at `end`, in that
/// partition's open transaction; `commit` adds the group's offsets past it (TxnOffsetCommit)
/// and commits. Nothing is ever replayed: a transaction either committed, offsets included,
/// or was aborted, output included.
///
/// Its client has connections of its own: `kq pipe` reads the next batch on another thread
/// while a batch's output is produced and committed, and a `KafkaCluster` serves one thread.
package final class KafkaExactlyOnceOutput: ExactlyOnceOutput {
  let service: KafkaLogService
  let cluster: KafkaCluster
  let group: GroupName
  let topic: TopicName
  package let config: TopicConfig
  private let batchLimit: Int
  private var encoders: [BatchEncoder?]
  private var producers: [InputPartition: TransactionalProducer] = [:]
  /// The range being added.
  private var input: InputPartition?
  private var range: Range<Int64> = 0..<0
  /// Per input partition, the end of the last range ended since the last commit.
  private var ended: [InputPartition: Int64] = [:]
  /// Per input partition with a transaction open, when `end` commits it without waiting for
  /// `commit`: half the transaction timeout after it opened, so that the coordinator never
  /// aborts it for its age (a long --commit-interval, a slow command).
  private var commitBy: [InputPartition: Deadline] = [:]
  package var confirmsInput: ((InputPartition) throws(StorageError) -> Void)?

  init(service: KafkaLogService, group: GroupName, topic: TopicName, config: TopicConfig) throws(StorageError) {
    self.service = service
    do {
      cluster = try KafkaCluster(bootstrap: service.cluster.bootstrap, options: service.cluster.options)
    } catch { throw error.storageError }
    self.group = group
    self.topic = topic
    self.config = config
    batchLimit = min(config.maxBatchBytes, 1 << 17)
    encoders = Array(repeating: nil, count: config.partitions)
  }

  deinit { close() }

  /// The transactional id of the producer that writes `input`'s output.
  static func transactionalId(group: GroupName, input: InputPartition) -> String {
    "kq-pipe.\(group.value).\(input.topic.value)-\(input.partition)"
  }

  /// Aborts what is open (an error ended the run before its commit); nothing of it counts.
  package func close() {
    abortOpenTransactions()
    producers = [:]
    cluster.close()
  }

  package var hasUncommittedRanges: Bool { !ended.isEmpty }
  package var reservedHeaderBytes: Int { 0 }

  /// Fences earlier producers of each input partition (aborting what they left open), then
  /// reads the group's committed offsets: where each partition goes on. After a rebalance the
  /// producers of partitions no longer held are dropped, and the kept ones made anew too (the
  /// epoch bumped, anything left open aborted): the group's commit is the one truth.
  package func resume(_ inputs: [InputPartition], start: (InputPartition) throws -> Int64) throws
    -> [InputPartition: InputResume]
  {
    abort()
    abortOpenTransactions()
    producers = [:]
    ended = [:]
    commitBy = [:]
    for input in inputs {
      let id = Self.transactionalId(group: group, input: input)
      producers[input] = try calling(input) { () throws(KafkaError) in
        try TransactionalProducer(cluster: cluster, transactionalId: id)
      }
    }
    var resumes: [InputPartition: InputResume] = [:]
    var committed: [TopicName: [Int: Int64]] = [:]
    for input in inputs {
      if committed[input.topic] == nil { committed[input.topic] = try service.committedOffsets(group: group, topic: input.topic) }
      let offset = try committed[input.topic]?[input.partition] ?? start(input)
      resumes[input] = InputResume(offset: offset, replays: [])
    }
    return resumes
  }

  /// Aborts every open transaction, best effort (a kill leaves them to the next holder's
  /// InitProducerId or the coordinator's timeout just the same).
  private func abortOpenTransactions() {
    for producer in producers.values where producer.isOpen { try? producer.abort() }
  }

  package func begin(_ input: InputPartition, range: Range<Int64>) {
    abort()
    self.input = input
    self.range = range
  }

  @inline(__always)
  package func add(
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer, timestamp: Int64,
    partition: Int
  ) {
    let encoder = encoders[partition] ?? makeEncoder(partition)
    encoder.append(key: key, value: value, headers: headers, timestamp: timestamp)
  }

  package func addLines(
    _ base: UnsafeRawPointer, from start: Int, count: Int, delimiter: Int32, headers: UnsafeRawBufferPointer,
    timestamp: Int64, largestValue: Int, partition: Int
  ) -> BatchEncoder.AppendedLines {
    let encoder = encoders[partition] ?? makeEncoder(partition)
    return encoder.appendLines(
      base, from: start, count: count, delimiter: delimiter, headers: headers, timestamp: timestamp,
      largestValue: largestValue, stopsBeforeBatch: false)
  }

  package func reserve(bytes: Int, partition: Int) {
    guard partition >= 0 && partition < encoders.count, encoders[partition] == nil else { return }
    _ = makeEncoder(partition, capacity: bytes)
  }

  private func makeEncoder(_ partition: Int, capacity: Int = 1 << 16) -> BatchEncoder {
    // Kept out of the children kq forks to run the command (see ByteBuffer).
    let encoder = BatchEncoder(maxBatchBytes: batchLimit, capacity: max(capacity, 1 << 16), excludedFromForks: true)
    encoders[partition] = encoder
    return encoder
  }

  /// Drops what was added since `begin`: nothing of it was sent.
  package func abort() {
    for encoder in encoders { encoder?.reset() }
    input = nil
  }

  /// Produces the range's output in its input partition's open transaction.
  package func end() throws(StorageError) {
    guard let input else { return }
    guard let producer = producers[input] else {
      throw .cluster(reason: "kq pipe: no transactional producer for input \(input)", failure: .other)
    }
    if commitBy[input] == nil { commitBy[input] = .after(TransactionalProducer.transactionTimeout / 2) }
    for partition in encoders.indices {
      guard let encoder = encoders[partition], !encoder.isEmpty, let index = Int32(exactly: partition) else { continue }
      let bytes = UnsafeMutableRawBufferPointer(mutating: encoder.finish())
      try calling(input) { () throws(KafkaError) in _ = try producer.produce(bytes, topic: topic.value, partition: index) }
      encoder.reset()
    }
    ended[input] = range.upperBound
    self.input = nil
    if commitBy[input]?.hasPassed == true { try commit(input) }
  }

  /// For each input partition with ranges ended: its offset past them in its transaction, and
  /// the transaction committed.
  package func commit() throws(StorageError) {
    for input in ended.keys.sorted() { try commit(input) }
  }

  private func commit(_ input: InputPartition) throws(StorageError) {
    guard let offset = ended[input], let producer = producers[input], let partition = Int32(exactly: input.partition)
    else { return }
    let member = service.members[group.value]?.member
    try confirmsInput?(input)
    do throws(KafkaError) {
      try producer.commitOffsets(
        group: group.value, generationId: member?.generationId ?? -1, memberId: member?.memberId ?? "",
        topic: input.topic.value, offsets: [partition: offset])
    } catch where error.code?.needsRejoin == true {
      // The coordinator (Kafka's; Tansu 0.6.0 checks no generation here) says the generation
      // is over: these offsets can no longer count, so neither may the output they cover.
      member?.endGeneration(error)
      throw generationEnded(input, error)
    } catch {
      throw storageError(input, error)
    }
    try calling(input) { () throws(KafkaError) in try producer.commit() }
    ended[input] = nil
    commitBy[input] = nil
  }

  /// The group's generation ended before `input`'s offsets were committed: every open
  /// transaction is aborted (output and offsets), and nothing ended counts any more.
  private func generationEnded(_ input: InputPartition, _ error: KafkaError) -> StorageError {
    let ranges = ended.keys.sorted().map { "\($0) up to offset \(ended[$0] ?? 0)" }.joined(separator: ", ")
    abortOpenTransactions()
    ended = [:]
    commitBy = [:]
    return .cluster(
      reason: "group '\(group)' rebalanced before kq pipe committed its output of \(ranges) (\(error)); "
        + "that output was aborted", failure: .generationEnded)
  }

  /// A client call for `input`, its failure the `StorageError` the commands know; a fenced
  /// producer is named as what it means here: another process of the group took the input
  /// partition (or the coordinator aborted the transaction for its age).
  private func calling<T>(_ input: InputPartition, _ body: () throws(KafkaError) -> T) throws(StorageError) -> T {
    do { return try body() } catch { throw storageError(input, error) }
  }

  private func storageError(_ input: InputPartition, _ error: KafkaError) -> StorageError {
    guard let code = error.code, code.isFencing else { return error.storageError }
    return .cluster(
      reason: "another kq pipe of group '\(group)' took over input partition \(input) (\(error)); "
        + "this process's open transaction does not count", failure: .fenced)
  }

}
