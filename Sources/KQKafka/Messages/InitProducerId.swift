/// InitProducerId (key 22): a producer id and epoch for an idempotent producer, whose batches
/// the broker then deduplicates by sequence number. With a transactional id (sent to its
/// transaction coordinator), the id's producer with its epoch bumped: the coordinator aborts
/// the transaction an earlier producer of that id left open, and fences that producer.
package struct InitProducerIdRequest: KafkaRequest {
  package static let apiKey = ApiKey.initProducerId
  package var transactionalId: String?
  package var transactionTimeoutMs: Int32

  package init() {
    transactionalId = nil
    transactionTimeoutMs = -1
  }

  package init(transactionalId: String, transactionTimeoutMs: Int32) {
    self.transactionalId = transactionalId
    self.transactionTimeoutMs = transactionTimeoutMs
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.nullableString(transactionalId, field: "transactional id")
    writer.int32(transactionTimeoutMs)
    if version >= 3 {
      writer.int64(-1)  // producer id: a new one
      writer.int16(-1)  // producer epoch
    }
    writer.taggedFields()
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var producer: ProducerIdentity
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    _ = try reader.int32()  // throttle time
    let errorCode = KafkaErrorCode(try reader.int16())
    let producer = ProducerIdentity(id: try reader.int64(), epoch: try reader.int16())
    try reader.skipTaggedFields()
    return Response(errorCode: errorCode, producer: producer)
  }
}

/// An idempotent producer's id and epoch, stamped into every batch it sends.
package struct ProducerIdentity: Equatable, Hashable, Sendable {
  package var id: Int64
  package var epoch: Int16

  package init(id: Int64, epoch: Int16) {
    self.id = id
    self.epoch = epoch
  }
}
