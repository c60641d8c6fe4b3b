/// AddPartitionsToTxn (key 24), as a producer sends it (versions 0-3): the partitions its open
/// transaction writes to, before it produces there, so that the coordinator writes their
/// commit or abort markers.
package struct AddPartitionsToTxnRequest: KafkaRequest {
  package static let apiKey = ApiKey.addPartitionsToTxn
  package var transactionalId: String
  package var producer: ProducerIdentity
  package var topic: String
  package var partitions: [Int32]

  package init(transactionalId: String, producer: ProducerIdentity, topic: String, partitions: [Int32]) {
    self.transactionalId = transactionalId
    self.producer = producer
    self.topic = topic
    self.partitions = partitions
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.transactionalProducer(transactionalId, producer)
    writer.arrayCount(1)
    writer.string(topic)
    writer.int32Array(partitions)
    writer.taggedFields()
    writer.taggedFields()
  }

  package typealias PartitionResult = PartitionErrorCode

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> [PartitionResult] {
    _ = try reader.int32()  // throttle time
    return try reader.partitionErrorCodes()
  }
}
