/// OffsetCommit (key 8) of one topic's partitions for a group. A member commits with its
/// generation and member id; a tool outside the group (kq group reset) with -1 and "", which
/// the coordinator accepts only while the group has no members.
package struct OffsetCommitRequest: KafkaRequest {
  package static let apiKey = ApiKey.offsetCommit
  package var group: String
  package var generationId: Int32
  package var memberId: String
  package var topic: String
  /// Partition and the next offset to read.
  package var offsets: [(partition: Int32, offset: Int64)]

  package init(group: String, generationId: Int32, memberId: String, topic: String, offsets: [(partition: Int32, offset: Int64)]) {
    self.group = group
    self.generationId = generationId
    self.memberId = memberId
    self.topic = topic
    self.offsets = offsets
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.string(group, field: "group id")
    writer.int32(generationId)
    writer.string(memberId, field: "member id")
    if version >= 7 { writer.nullableString(nil) }  // group instance id
    if version <= 4 { writer.int64(-1) }  // retention: the broker's
    writer.arrayCount(1)
    writer.string(topic)
    writer.array(offsets) { writer, entry in
      writer.int32(entry.partition)
      writer.int64(entry.offset)
      if version >= 6 { writer.int32(-1) }  // leader epoch: unknown
      writer.nullableString(nil)  // metadata
      writer.taggedFields()
    }
    writer.taggedFields()
    writer.taggedFields()
  }

  package typealias PartitionResult = PartitionErrorCode

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> [PartitionResult] {
    if version >= 3 { _ = try reader.int32() }  // throttle time
    return try reader.partitionErrorCodes()
  }
}
