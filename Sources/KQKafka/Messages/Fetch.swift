/// Fetch (key 1) of one partition from an offset, as a consumer (replica id -1), reading
/// uncommitted records (Java's default isolation): control batches of transactions come
/// through in the bytes, flagged in their attributes. Without a fetch session (id 0, epoch
/// -1): each request names its partition in full.
package struct FetchRequest: KafkaRequest {
  package static let apiKey = ApiKey.fetch
  package var topic: String
  package var partition: Int32
  package var offset: Int64
  package var maxWaitMs: Int32
  package var minBytes: Int32
  package var maxBytes: Int32

  package init(topic: String, partition: Int32, offset: Int64, maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32) {
    self.topic = topic
    self.partition = partition
    self.offset = offset
    self.maxWaitMs = maxWaitMs
    self.minBytes = minBytes
    self.maxBytes = maxBytes
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.int32(-1)  // replica id: a consumer
    writer.int32(maxWaitMs)
    writer.int32(minBytes)
    writer.int32(maxBytes)
    writer.int8(0)  // isolation level: read uncommitted
    if version >= 7 {
      writer.int32(0)  // session id
      writer.int32(-1)  // session epoch: no session
    }
    writer.arrayCount(1)
    writer.string(topic)
    writer.arrayCount(1)
    writer.int32(partition)
    if version >= 9 { writer.int32(-1) }  // current leader epoch: unknown
    writer.int64(offset)
    if version >= 12 { writer.int32(-1) }  // last fetched epoch
    if version >= 5 { writer.int64(-1) }  // log start offset: a consumer's is -1
    writer.int32(maxBytes)
    writer.taggedFields()
    writer.taggedFields()
    if version >= 7 { writer.arrayCount(0) }  // forgotten topics
    if version >= 11 { writer.string("") }  // rack id
    writer.taggedFields()
  }

  package struct PartitionData: Equatable, Sendable {
    package var topic: String
    package var partition: Int32
    package var errorCode: KafkaErrorCode
    package var highWatermark: Int64
    package var lastStableOffset: Int64
    package var logStartOffset: Int64
    package var records: [UInt8]
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var partitions: [PartitionData]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    _ = try reader.int32()  // throttle time
    var errorCode = KafkaErrorCode.none
    if version >= 7 {
      errorCode = KafkaErrorCode(try reader.int16())
      _ = try reader.int32()  // session id
    }
    var partitions: [PartitionData] = []
    let topics = try reader.arrayCount(minimumElementSize: 3)
    for _ in 0..<topics {
      let topic = try reader.string()
      let count = try reader.arrayCount(minimumElementSize: 30)
      for _ in 0..<count {
        let index = try reader.int32()
        let code = KafkaErrorCode(try reader.int16())
        let highWatermark = try reader.int64()
        let lastStable = try reader.int64()  // version 4 and later
        let logStart = version >= 5 ? try reader.int64() : -1
        _ = try reader.nullableArray(minimumElementSize: 16) { (r: inout WireReader) throws(WireError) in
          _ = try r.int64()
          _ = try r.int64()
          try r.skipTaggedFields()
        }
        if version >= 11 { _ = try reader.int32() }  // preferred read replica
        let records = try reader.nullableBytes() ?? []
        try reader.skipTaggedFields()
        partitions.append(
          PartitionData(
            topic: topic, partition: index, errorCode: code, highWatermark: highWatermark, lastStableOffset: lastStable,
            logStartOffset: logStart, records: records))
      }
      try reader.skipTaggedFields()
    }
    try reader.skipTaggedFields()
    return Response(errorCode: errorCode, partitions: partitions)
  }
}
