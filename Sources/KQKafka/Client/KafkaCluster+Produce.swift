import KQLog

/// Appending record batches to partition leaders, with acks=all.
extension KafkaCluster {
  /// What the leader answered for an append.
  package struct ProduceResult: Equatable, Sendable {
    /// The offset of the first record of the first batch.
    package var baseOffset: Int64
    /// The broker's time for LogAppendTime topics, else nil.
    package var logAppendTimeMs: Int64?
    /// The partition's log start offset, when the broker says (-1 before version 5).
    package var logStartOffset: Int64
  }

  /// Appends `batches` (RecordBatch v2, back to back) to a partition and waits until every
  /// in-sync replica has them. Failures that prove nothing was stored (no leader, stale
  /// metadata, a refused connection) are retried. An answer lost after sending is retried only
  /// when the batches carry an idempotent producer id (the broker drops the duplicate: a
  /// DUPLICATE_SEQUENCE_NUMBER answer means the first send was stored, and where is looked
  /// up); otherwise it is `deliveryUnknown`, since a retry could store the records twice.
  package func produce(
    _ batches: UnsafeRawBufferPointer, to topic: String, partition: Int32, transactionalId: String? = nil,
    until deadline: Deadline? = nil
  ) throws(KafkaError) -> ProduceResult {
    guard BatchLayout.wholeBatchesLength(batches) == batches.count, !batches.isEmpty else {
      throw .invalidArgument("the bytes to produce are not whole RecordBatch v2 batches")
    }
    let isIdempotent = Int64(bigEndian: batches.loadUnaligned(fromByteOffset: BatchLayout.producerId, as: Int64.self)) >= 0
    let operation = "producing to '\(topic)' partition \(partition)"
    return try retrying(operation, until: deadline ?? .after(options.timeout)) { (deadline) throws(KafkaError) in
      let leader = try leader(of: topic, partition: partition, deadline: deadline)
      var request = ProduceRequest(
        topic: topic, partition: partition, records: batches, timeoutMs: timeoutMillis(requestDeadline(deadline)))
      request.transactionalId = transactionalId
      let ticket = try leader.send(request, deadline: requestDeadline(deadline))
      let results: [ProduceRequest.PartitionResult]
      do throws(KafkaError) {
        results = try leader.receive(ticket, deadline: requestDeadline(deadline))
      } catch {
        // Retrying is safe only when the broker can tell the batch again from its sequence.
        if isIdempotent || !error.isRetriable { throw error }
        throw .deliveryUnknown(topic: topic, partition: partition, cause: error)
      }
      guard let result = results.first(where: { $0.topic == topic && $0.partition == partition }) else {
        throw leader.fail(.malformedResponse(leader.address, api: .produce, .unexpectedNull(position: 0)))
      }
      if isIdempotent && result.errorCode == .duplicateSequenceNumber,
        let base = try storedBatchOffset(
          topic, partition: partition, producer: Self.producer(of: batches), baseSequence: Self.baseSequence(of: batches),
          recordCount: Self.recordCount(of: batches), deadline: deadline)
      {
        return ProduceResult(baseOffset: base, logAppendTimeMs: nil, logStartOffset: -1)
      }
      guard result.errorCode.isNone else {
        let error = KafkaError.broker(
          result.errorCode, subject: .partition(topic: topic, partition: partition), message: result.errorMessage)
        // The leader stored the batch and timed out waiting for replicas: a retry may repeat it.
        if !isIdempotent && [.requestTimedOut, KafkaErrorCode(20)].contains(result.errorCode) {
          throw .deliveryUnknown(topic: topic, partition: partition, cause: error)
        }
        throw error
      }
      return ProduceResult(
        baseOffset: result.baseOffset, logAppendTimeMs: result.logAppendTimeMs >= 0 ? result.logAppendTimeMs : nil,
        logStartOffset: result.logStartOffset)
    }
  }

  /// The producer id and epoch of the first batch of `batches`.
  static func producer(of batches: UnsafeRawBufferPointer) -> ProducerIdentity {
    ProducerIdentity(
      id: Int64(bigEndian: batches.loadUnaligned(fromByteOffset: BatchLayout.producerId, as: Int64.self)),
      epoch: Int16(bigEndian: batches.loadUnaligned(fromByteOffset: BatchLayout.producerEpoch, as: Int16.self)))
  }

  static func baseSequence(of batches: UnsafeRawBufferPointer) -> Int32 {
    Int32(bigEndian: batches.loadUnaligned(fromByteOffset: BatchLayout.baseSequence, as: Int32.self))
  }

  static func recordCount(of batches: UnsafeRawBufferPointer) -> Int {
    Int(Int32(bigEndian: batches.loadUnaligned(fromByteOffset: BatchLayout.recordCount, as: Int32.self)))
  }

  /// A new idempotent producer id and epoch (InitProducerId, from any broker).
  package func initProducerId() throws(KafkaError) -> IdempotentProducer {
    try retrying("getting a producer id") { (deadline) throws(KafkaError) in
      let response = try anyConnection(deadline: deadline).request(
        InitProducerIdRequest(), deadline: requestDeadline(deadline))
      guard response.errorCode.isNone else { throw .broker(response.errorCode, subject: .producer, message: nil) }
      return IdempotentProducer(identity: response.producer)
    }
  }
}
