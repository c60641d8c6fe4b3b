/// OffsetFetch (key 9): a group's committed offsets for one topic's partitions, or (topic nil,
/// version 2 and later) for every partition it has committed.
package struct OffsetFetchRequest: KafkaRequest {
  package static let apiKey = ApiKey.offsetFetch
  package var group: String
  /// nil: every topic the group committed.
  package var topic: (name: String, partitions: [Int32])?

  package init(group: String, topic: (name: String, partitions: [Int32])?) {
    self.group = group
    self.topic = topic
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.string(group, field: "group id")
    if let topic {
      writer.arrayCount(1)
      writer.string(topic.name)
      writer.int32Array(topic.partitions)
      writer.taggedFields()
    } else {
      writer.nullArray()
    }
    if version >= 7 { writer.bool(false) }  // require stable
    writer.taggedFields()
  }

  package struct PartitionOffset: Equatable, Sendable {
    package var topic: String
    package var partition: Int32
    /// -1: nothing committed.
    package var offset: Int64
    package var errorCode: KafkaErrorCode
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var offsets: [PartitionOffset]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    if version >= 3 { _ = try reader.int32() }  // throttle time
    var offsets: [PartitionOffset] = []
    // Null is not in Kafka's schema; Tansu 0.6.0 sends it for a group with no offsets.
    let topics = try reader.nullableArrayCount(minimumElementSize: 3) ?? 0
    for _ in 0..<topics {
      let topic = try reader.string()
      let count = try reader.arrayCount(minimumElementSize: 16)
      for _ in 0..<count {
        let partition = try reader.int32()
        let offset = try reader.int64()
        if version >= 5 { _ = try reader.int32() }  // leader epoch
        _ = try reader.nullableString()  // metadata
        offsets.append(
          PartitionOffset(topic: topic, partition: partition, offset: offset, errorCode: KafkaErrorCode(try reader.int16())))
        try reader.skipTaggedFields()
      }
      try reader.skipTaggedFields()
    }
    let errorCode = version >= 2 ? KafkaErrorCode(try reader.int16()) : .none
    try reader.skipTaggedFields()
    return Response(errorCode: errorCode, offsets: offsets)
  }
}
