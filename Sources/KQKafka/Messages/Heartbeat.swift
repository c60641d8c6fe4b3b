/// Heartbeat (key 12): keeps a member in its group. REBALANCE_IN_PROGRESS in answer tells the
/// member to join again.
package struct HeartbeatRequest: KafkaRequest {
  package static let apiKey = ApiKey.heartbeat
  package var group: String
  package var generationId: Int32
  package var memberId: String

  package init(group: String, generationId: Int32, memberId: String) {
    self.group = group
    self.generationId = generationId
    self.memberId = memberId
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.string(group, field: "group id")
    writer.int32(generationId)
    writer.string(memberId, field: "member id")
    if version >= 3 { writer.nullableString(nil) }  // group instance id
    writer.taggedFields()
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> KafkaErrorCode {
    try reader.throttledErrorCode()
  }
}
