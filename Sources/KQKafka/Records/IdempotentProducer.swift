import KQLog

/// Stamps batches for an idempotent producer: its id and epoch (from InitProducerId), and per
/// partition a base sequence that counts the records sent there, so a broker that receives a
/// batch twice (a retry after a lost answer) stores it once.
///
/// A batch keeps its sequence: one that fails must be sent again as stamped, never restamped,
/// or the broker sees a gap (OUT_OF_ORDER_SEQUENCE_NUMBER).
package struct IdempotentProducer: Sendable {
  package let identity: ProducerIdentity
  /// Whether batches are stamped as part of a transaction (attributes bit 4).
  package var isTransactional = false
  /// The next sequence number of each partition; a partition not yet written starts at 0.
  private var nextSequence: [PartitionKey: Int32] = [:]

  private struct PartitionKey: Hashable, Sendable {
    var topic: String
    var partition: Int32
  }

  package init(identity: ProducerIdentity) {
    self.identity = identity
  }

  package func nextSequence(topic: String, partition: Int32) -> Int32 {
    nextSequence[PartitionKey(topic: topic, partition: partition)] ?? 0
  }

  /// Writes producer id, epoch and consecutive base sequences into each batch laid back to
  /// back in `batches`, recomputes their CRCs, and advances the partition's sequence (it wraps
  /// from Int32.max to 0, as Kafka's does). Throws when the bytes are not whole v2 batches.
  package mutating func stamp(_ batches: UnsafeMutableRawBufferPointer, topic: String, partition: Int32)
    throws(KafkaError)
  {
    let key = PartitionKey(topic: topic, partition: partition)
    var sequence = nextSequence[key] ?? 0
    let raw = UnsafeRawBufferPointer(batches)
    guard BatchLayout.wholeBatchesLength(raw) == batches.count, let base = batches.baseAddress else {
      throw .invalidArgument("the bytes to stamp are not whole RecordBatch v2 batches")
    }
    var position = 0
    while position < batches.count {
      let batchLength = raw.loadUnaligned(fromByteOffset: position + BatchLayout.batchLength, as: Int32.self)
      let length = BatchLayout.logOverhead + Int(Int32(bigEndian: batchLength))  // checked by wholeBatchesLength
      guard raw[position + BatchLayout.magic] == BatchLayout.magicValue else {
        throw .invalidArgument("a batch at byte \(position) is not RecordBatch v2")
      }
      let count = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: position + BatchLayout.recordCount, as: Int32.self))
      guard count > 0 else { throw .invalidArgument("a batch at byte \(position) has \(count) records") }
      let batch = base + position
      batch.storeBytes(of: identity.id.bigEndian, toByteOffset: BatchLayout.producerId, as: Int64.self)
      batch.storeBytes(of: identity.epoch.bigEndian, toByteOffset: BatchLayout.producerEpoch, as: Int16.self)
      batch.storeBytes(of: sequence.bigEndian, toByteOffset: BatchLayout.baseSequence, as: Int32.self)
      if isTransactional {
        let attributes = Int16(bigEndian: raw.loadUnaligned(fromByteOffset: position + BatchLayout.attributes, as: Int16.self))
        batch.storeBytes(
          of: (attributes | BatchLayout.transactionalFlag).bigEndian, toByteOffset: BatchLayout.attributes, as: Int16.self)
      }
      let crc = CRC32C.checksum(
        UnsafeRawBufferPointer(start: batch + BatchLayout.attributes, count: length - BatchLayout.attributes))
      batch.storeBytes(of: crc.bigEndian, toByteOffset: BatchLayout.crc, as: UInt32.self)
      let (next, overflow) = sequence.addingReportingOverflow(count)
      sequence = overflow ? next & Int32.max : next
      position += length
    }
    nextSequence[key] = sequence
  }
}
