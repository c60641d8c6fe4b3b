/// AddOffsetsToTxn (key 25): a group whose offsets the open transaction commits
/// (TxnOffsetCommit follows, at the group's coordinator).
package struct AddOffsetsToTxnRequest: KafkaRequest {
  package static let apiKey = ApiKey.addOffsetsToTxn
  package var transactionalId: String
  package var producer: ProducerIdentity
  package var group: String

  package init(transactionalId: String, producer: ProducerIdentity, group: String) {
    self.transactionalId = transactionalId
    self.producer = producer
    self.group = group
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.transactionalProducer(transactionalId, producer)
    writer.string(group, field: "group id")
    writer.taggedFields()
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> KafkaErrorCode {
    try reader.throttledErrorCode()
  }
}
