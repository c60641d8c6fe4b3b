/// Produce (key 0) of record batches to one partition. `records` holds RecordBatch v2 bytes
/// laid back to back, as kq's encoder makes them; it is only read while the request is sent.
package struct ProduceRequest: KafkaRequest {
  package static let apiKey = ApiKey.produce
  package var topic: String
  package var partition: Int32
  package var records: UnsafeRawBufferPointer
  /// -1: the leader answers once every in-sync replica has the batch (acks=all).
  package var acks: Int16
  /// How long the leader waits for the replicas.
  package var timeoutMs: Int32
  package var transactionalId: String?

  package init(topic: String, partition: Int32, records: UnsafeRawBufferPointer, acks: Int16 = -1, timeoutMs: Int32) {
    self.topic = topic
    self.partition = partition
    self.records = records
    self.acks = acks
    self.timeoutMs = timeoutMs
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.nullableString(transactionalId)
    writer.int16(acks)
    writer.int32(timeoutMs)
    writer.arrayCount(1)
    writer.string(topic)
    writer.arrayCount(1)
    writer.int32(partition)
    writer.bytes(records, field: "records")
    writer.taggedFields()
    writer.taggedFields()
    writer.taggedFields()
  }

  package struct PartitionResult: Equatable, Sendable {
    package var topic: String
    package var partition: Int32
    package var errorCode: KafkaErrorCode
    package var baseOffset: Int64
    /// The broker's append time for LogAppendTime topics, else -1.
    package var logAppendTimeMs: Int64
    package var logStartOffset: Int64
    package var errorMessage: String?
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError)
    -> [PartitionResult]
  {
    var results: [PartitionResult] = []
    let topics = try reader.arrayCount(minimumElementSize: 3)
    for _ in 0..<topics {
      let topic = try reader.string()
      let partitions = try reader.arrayCount(minimumElementSize: 14)
      for _ in 0..<partitions {
        let index = try reader.int32()
        let errorCode = KafkaErrorCode(try reader.int16())
        let baseOffset = try reader.int64()
        let appendTime = try reader.int64()  // version 2 and later
        let logStart = version >= 5 ? try reader.int64() : -1
        var message: String?
        if version >= 8 {
          _ = try reader.array(minimumElementSize: 5) { (r: inout WireReader) throws(WireError) in
            _ = try r.int32()
            _ = try r.nullableString()
            try r.skipTaggedFields()
          }
          message = try reader.nullableString()
        }
        try reader.skipTaggedFields()
        results.append(
          PartitionResult(
            topic: topic, partition: index, errorCode: errorCode, baseOffset: baseOffset, logAppendTimeMs: appendTime,
            logStartOffset: logStart, errorMessage: message))
      }
      try reader.skipTaggedFields()
    }
    _ = try reader.int32()  // throttle time
    try reader.skipTaggedFields()
    return results
  }
}
