import KQLog

/// A producer with a transactional id: its batches and a group's offsets are committed or
/// aborted together (KIP-98). The first write after `commit`/`abort` opens a transaction;
/// each output partition joins it once (AddPartitionsToTxn) before its first Produce; offsets
/// join through AddOffsetsToTxn and TxnOffsetCommit; EndTxn ends it.
///
/// Creating one fences every earlier producer of the same transactional id: InitProducerId
/// bumps the id's epoch, and the coordinator aborts the transaction an earlier one left open
/// (a process killed mid-transaction). A fenced producer's requests fail with PRODUCER_FENCED
/// or INVALID_PRODUCER_EPOCH (`KafkaErrorCode.isFencing`), never retried.
package final class TransactionalProducer {
  let cluster: KafkaCluster
  package let transactionalId: String
  private var producer: IdempotentProducer
  /// The transaction coordinator, from FindCoordinator (key type 1); nil to ask again.
  private var coordinator: BrokerAddress?
  /// Partitions added to the open transaction, by topic.
  private var added: [String: Set<Int32>] = [:]
  /// Groups whose offsets the open transaction commits.
  private var groups: Set<String> = []

  package var identity: ProducerIdentity { producer.identity }
  /// Whether a transaction is open: something was added since the last commit or abort.
  package var isOpen: Bool { !added.isEmpty || !groups.isEmpty }

  /// How long the coordinator lets a transaction stay open before it aborts it (a producer
  /// that died and was not restarted): Kafka's default `transaction.timeout.ms`.
  package static let transactionTimeout: Duration = .seconds(60)

  package init(cluster: KafkaCluster, transactionalId: String) throws(KafkaError) {
    self.cluster = cluster
    self.transactionalId = transactionalId
    producer = IdempotentProducer(identity: ProducerIdentity(id: -1, epoch: -1))
    let timeout = Int32(Self.transactionTimeout.wireMilliseconds)
    let operation = "getting a producer id for transactional id '\(transactionalId)'"
    let response = try atCoordinator(operation, until: .after(cluster.options.timeout)) {
      (connection, deadline) throws(KafkaError) in
      let response = try connection.request(
        InitProducerIdRequest(transactionalId: transactionalId, transactionTimeoutMs: timeout),
        deadline: cluster.requestDeadline(deadline))
      guard response.errorCode.isNone else { throw .broker(response.errorCode, subject: .transaction(transactionalId), message: nil) }
      return response
    }
    producer = IdempotentProducer(identity: response.producer)
    producer.isTransactional = true
  }

  /// Appends `batches` (whole RecordBatch v2, back to back) to a partition in the open
  /// transaction, adding the partition to it first. The batches are stamped with the
  /// producer's id, epoch and sequences, and flagged transactional.
  package func produce(_ batches: UnsafeMutableRawBufferPointer, topic: String, partition: Int32) throws(KafkaError)
    -> KafkaCluster.ProduceResult
  {
    if added[topic]?.contains(partition) != true {
      let identity = producer.identity
      try atCoordinator("adding partition \(partition) of '\(topic)' to a transaction", until: stepDeadline()) {
        (connection, deadline) throws(KafkaError) in
        let results = try connection.request(
          AddPartitionsToTxnRequest(
            transactionalId: transactionalId, producer: identity, topic: topic, partitions: [partition]),
          deadline: cluster.requestDeadline(deadline))
        for result in results where !result.errorCode.isNone {
          throw .broker(result.errorCode, subject: .transaction(transactionalId), message: "adding partition \(partition) of '\(topic)'")
        }
      }
      added[topic, default: []].insert(partition)
    }
    try producer.stamp(batches, topic: topic, partition: partition)
    return try cluster.produce(
      UnsafeRawBufferPointer(batches), to: topic, partition: partition, transactionalId: transactionalId,
      until: stepDeadline())
  }

  /// Commits `offsets` of a topic for `group` in the open transaction: AddOffsetsToTxn at the
  /// transaction coordinator, then TxnOffsetCommit at the group's, with the member's
  /// generation and id (-1 and "" outside a generation).
  package func commitOffsets(
    group: String, generationId: Int32, memberId: String, topic: String, offsets: [Int32: Int64]
  ) throws(KafkaError) {
    let identity = producer.identity
    if !groups.contains(group) {
      try atCoordinator("adding offsets of group '\(group)' to a transaction", until: stepDeadline()) {
        (connection, deadline) throws(KafkaError) in
        let code = try connection.request(
          AddOffsetsToTxnRequest(transactionalId: transactionalId, producer: identity, group: group),
          deadline: cluster.requestDeadline(deadline))
        guard code.isNone else { throw .broker(code, subject: .transaction(transactionalId), message: "adding group '\(group)'") }
      }
      groups.insert(group)
    }
    let request = TxnOffsetCommitRequest(
      transactionalId: transactionalId, group: group, producer: identity, generationId: generationId, memberId: memberId,
      topic: topic, offsets: offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    try cluster.retrying("committing offsets of group '\(group)' in a transaction", until: stepDeadline()) {
      (deadline) throws(KafkaError) in
      let connection = try cluster.coordinatorConnection(of: group, deadline: deadline)
      for result in try connection.request(request, deadline: cluster.requestDeadline(deadline))
      where !result.errorCode.isNone {
        let subject: KafkaSubject = result.errorCode.isCoordinatorError ? .group(group) : .transaction(transactionalId)
        throw .broker(result.errorCode, subject: subject, message: "offsets of group '\(group)'")
      }
    }
  }

  /// When the open transaction's steps (adding partitions, producing, committing offsets,
  /// ending it) must all be done by: the client's timeout from its first step, so that
  /// `--broker-timeout` bounds a transaction, not each of its steps. nil between transactions.
  private var transactionDeadline: Deadline?

  private func stepDeadline() -> Deadline {
    if let transactionDeadline { return transactionDeadline }
    let deadline = Deadline.after(cluster.options.timeout)
    transactionDeadline = deadline
    return deadline
  }

  /// Commits the open transaction: its records become visible to readers of committed
  /// records, and its offsets count. Nothing to do when none is open.
  package func commit() throws(KafkaError) { try end(commits: true) }

  /// Aborts the open transaction: its records are never visible to readers of committed
  /// records, and its offsets do not count.
  package func abort() throws(KafkaError) { try end(commits: false) }

  private func end(commits: Bool) throws(KafkaError) {
    guard isOpen else { return }
    let identity = producer.identity
    defer { transactionDeadline = nil }
    try atCoordinator(commits ? "committing a transaction" : "aborting a transaction", until: stepDeadline()) {
      (connection, deadline) throws(KafkaError) in
      let code = try connection.request(
        EndTxnRequest(transactionalId: transactionalId, producer: identity, commits: commits),
        deadline: cluster.requestDeadline(deadline))
      guard code.isNone else { throw .broker(code, subject: .transaction(transactionalId), message: nil) }
    }
    added = [:]
    groups = []
  }

  /// Runs `body` on a connection to the transaction coordinator, retrying as the cluster
  /// does; a coordinator error or a broken connection makes the next try look it up again.
  /// `body` throws the response's own error code (CONCURRENT_TRANSACTIONS and the
  /// coordinator errors are retriable).
  @discardableResult
  private func atCoordinator<T>(
    _ operation: String, until deadline: Deadline, _ body: (BrokerConnection, Deadline) throws(KafkaError) -> T
  ) throws(KafkaError) -> T {
    try cluster.retrying(operation, until: deadline) { (deadline) throws(KafkaError) in
      do throws(KafkaError) {
        let connection = try cluster.connection(to: try transactionCoordinator(deadline), deadline: deadline)
        return try body(connection, deadline)
      } catch {
        if error.code?.isCoordinatorError == true || error.breaksConnection { coordinator = nil }
        throw error
      }
    }
  }

  private func transactionCoordinator(_ deadline: Deadline) throws(KafkaError) -> BrokerAddress {
    if let coordinator { return coordinator }
    let response = try cluster.anyConnection(deadline: deadline).request(
      FindCoordinatorRequest(transactionalId: transactionalId), deadline: cluster.requestDeadline(deadline))
    guard response.errorCode.isNone else {
      throw .broker(response.errorCode, subject: .transaction(transactionalId), message: response.errorMessage)
    }
    guard let port = UInt16(exactly: response.port), port > 0, !response.host.isEmpty else {
      throw .broker(.coordinatorNotAvailable, subject: .transaction(transactionalId), message: "FindCoordinator named no address")
    }
    let address = BrokerAddress(host: response.host, port: port)
    coordinator = address
    return address
  }
}
