import KQLog

/// The idempotent producer behind every append (`kq produce`, `kq mirror` to a cluster): one
/// producer id and epoch per service, from InitProducerId at the first append, and per
/// partition consecutive sequences stamped into each batch before it is sent. A batch whose
/// answer was lost is then sent again as stamped, and the broker stores it once, instead of
/// the produce ending in "may or may not be stored" (`deliveryUnknown`).
extension KafkaLogService {
  /// Stamps `batches` for `partition` of `topic` when the cluster gives producer ids; as they
  /// are otherwise (a broker without InitProducerId, or refusing it: no IdempotentWrite right).
  func stampIdempotent(_ batches: UnsafeMutableRawBufferPointer, topic: String, partition: Int32) throws(StorageError) {
    guard !batches.isEmpty, var producer = try idempotentProducer() else { return }
    try calling { () throws(KafkaError) in try producer.stamp(batches, topic: topic, partition: partition) }
    idempotence = .offered(producer)
  }

  func idempotentProducer() throws(StorageError) -> IdempotentProducer? {
    switch idempotence {
    case .offered(let producer): return producer
    case .notOffered: return nil
    case .unknown:
      do {
        let producer = try cluster.initProducerId()
        idempotence = .offered(producer)
        return producer
      } catch {
        // Unreachable or timed out: the produce would fail the same way; say so now.
        if error.isRetriable { throw error.storageError }
        if case .timedOut = error { throw error.storageError }
        idempotence = .notOffered
        return nil
      }
    }
  }
}

/// Whether appends carry an idempotent producer id, once the cluster was asked.
enum Idempotence {
  case unknown
  case notOffered
  case offered(IdempotentProducer)
}
