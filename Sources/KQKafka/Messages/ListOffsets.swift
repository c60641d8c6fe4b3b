/// ListOffsets (key 2) of partitions of one topic: the earliest or latest offset, or the
/// first offset whose timestamp is at or after a time.
package struct ListOffsetsRequest: KafkaRequest {
  package static let apiKey = ApiKey.listOffsets
  package var topic: String
  package var partitions: [Int32]
  package var spec: OffsetSpec
  package var timeoutMs: Int32

  package init(topic: String, partitions: [Int32], spec: OffsetSpec, timeoutMs: Int32) {
    self.topic = topic
    self.partitions = partitions
    self.spec = spec
    self.timeoutMs = timeoutMs
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.int32(-1)  // replica id: a consumer
    if version >= 2 { writer.int8(0) }  // isolation level: read uncommitted
    writer.arrayCount(1)
    writer.string(topic)
    writer.array(partitions) { writer, partition in
      writer.int32(partition)
      if version >= 4 { writer.int32(-1) }  // current leader epoch
      writer.int64(spec.timestamp)
      writer.taggedFields()
    }
    writer.taggedFields()
    if version >= 10 { writer.int32(timeoutMs) }
    writer.taggedFields()
  }

  package struct PartitionResult: Equatable, Sendable {
    package var partition: Int32
    package var errorCode: KafkaErrorCode
    /// -1 when there is none (no record at or after the time).
    package var timestamp: Int64
    package var offset: Int64
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError)
    -> [PartitionResult]
  {
    if version >= 2 { _ = try reader.int32() }  // throttle time
    var results: [PartitionResult] = []
    let topics = try reader.arrayCount(minimumElementSize: 3)
    for _ in 0..<topics {
      _ = try reader.string()
      let count = try reader.arrayCount(minimumElementSize: 22)
      for _ in 0..<count {
        let result = PartitionResult(
          partition: try reader.int32(), errorCode: KafkaErrorCode(try reader.int16()), timestamp: try reader.int64(),
          offset: try reader.int64())
        if version >= 4 { _ = try reader.int32() }  // leader epoch
        try reader.skipTaggedFields()
        results.append(result)
      }
      try reader.skipTaggedFields()
    }
    try reader.skipTaggedFields()
    return results
  }
}

/// Which offset ListOffsets looks up.
package enum OffsetSpec: Equatable, Sendable {
  /// The log start offset.
  case earliest
  /// The log end offset (high watermark): the offset the next record will take.
  case latest
  /// The first offset whose record timestamp is at or after this time (ms since the epoch).
  case timestamp(Int64)

  var timestamp: Int64 {
    switch self {
    case .earliest: -2
    case .latest: -1
    case .timestamp(let millis): millis
    }
  }
}
