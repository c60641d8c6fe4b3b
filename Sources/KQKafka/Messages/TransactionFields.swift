/// Fields several transaction APIs share.
extension WireWriter {
  /// A transactional request's producer: its transactional id, then its producer id and epoch
  /// (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn; TxnOffsetCommit puts the group between).
  package mutating func transactionalProducer(_ transactionalId: String, _ producer: ProducerIdentity) {
    string(transactionalId, field: "transactional id")
    producerIdentity(producer)
  }

  package mutating func producerIdentity(_ producer: ProducerIdentity) {
    int64(producer.id)
    int16(producer.epoch)
  }
}

extension WireReader {
  /// A response that is only a throttle time, an error code and tagged fields (Heartbeat v1+,
  /// AddOffsetsToTxn, EndTxn).
  package mutating func throttledErrorCode() throws(WireError) -> KafkaErrorCode {
    _ = try int32()  // throttle time
    let code = KafkaErrorCode(try int16())
    try skipTaggedFields()
    return code
  }
}
