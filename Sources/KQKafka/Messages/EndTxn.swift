/// EndTxn (key 26): commits or aborts the producer's open transaction; the coordinator writes
/// the markers to every partition added and makes the offsets committed in it count (or not).
package struct EndTxnRequest: KafkaRequest {
  package static let apiKey = ApiKey.endTxn
  package var transactionalId: String
  package var producer: ProducerIdentity
  package var commits: Bool

  package init(transactionalId: String, producer: ProducerIdentity, commits: Bool) {
    self.transactionalId = transactionalId
    self.producer = producer
    self.commits = commits
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.transactionalProducer(transactionalId, producer)
    writer.bool(commits)
    writer.taggedFields()
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> KafkaErrorCode {
    try reader.throttledErrorCode()
  }
}
