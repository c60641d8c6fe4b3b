/// An error code per partition: the answer of OffsetCommit, TxnOffsetCommit and
/// AddPartitionsToTxn (after its throttle time).
package struct PartitionErrorCode: Equatable, Sendable {
  package var topic: String
  package var partition: Int32
  package var errorCode: KafkaErrorCode

  package init(topic: String, partition: Int32, errorCode: KafkaErrorCode) {
    self.topic = topic
    self.partition = partition
    self.errorCode = errorCode
  }
}

extension WireReader {
  /// Topics, each with its partitions' error codes, then the answer's tagged fields.
  package mutating func partitionErrorCodes() throws(WireError) -> [PartitionErrorCode] {
    var results: [PartitionErrorCode] = []
    let topics = try arrayCount(minimumElementSize: 3)
    for _ in 0..<topics {
      let topic = try string()
      let count = try arrayCount(minimumElementSize: 6)
      for _ in 0..<count {
        results.append(PartitionErrorCode(topic: topic, partition: try int32(), errorCode: KafkaErrorCode(try int16())))
        try skipTaggedFields()
      }
      try skipTaggedFields()
    }
    try skipTaggedFields()
    return results
  }
}
