/// TxnOffsetCommit (key 28), sent to the group's coordinator: offsets of one topic committed
/// in the producer's open transaction, visible once it commits. From version 3 it carries the
/// member's generation and id, so that the coordinator refuses a member the group replaced.
package struct TxnOffsetCommitRequest: KafkaRequest {
  package static let apiKey = ApiKey.txnOffsetCommit
  package var transactionalId: String
  package var group: String
  package var producer: ProducerIdentity
  package var generationId: Int32
  package var memberId: String
  package var topic: String
  /// Partition and the next offset to read.
  package var offsets: [(partition: Int32, offset: Int64)]

  package init(
    transactionalId: String, group: String, producer: ProducerIdentity, generationId: Int32, memberId: String,
    topic: String, offsets: [(partition: Int32, offset: Int64)]
  ) {
    self.transactionalId = transactionalId
    self.group = group
    self.producer = producer
    self.generationId = generationId
    self.memberId = memberId
    self.topic = topic
    self.offsets = offsets
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.string(transactionalId, field: "transactional id")
    writer.string(group, field: "group id")
    writer.producerIdentity(producer)
    if version >= 3 {
      writer.int32(generationId)
      writer.string(memberId, field: "member id")
      writer.nullableString(nil)  // group instance id
    }
    writer.arrayCount(1)
    writer.string(topic)
    writer.array(offsets) { writer, entry in
      writer.int32(entry.partition)
      writer.int64(entry.offset)
      if version >= 2 { writer.int32(-1) }  // leader epoch: unknown
      writer.nullableString(nil)  // metadata
      writer.taggedFields()
    }
    writer.taggedFields()
    writer.taggedFields()
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError)
    -> [PartitionErrorCode]
  {
    _ = try reader.int32()  // throttle time
    return try reader.partitionErrorCodes()
  }
}
