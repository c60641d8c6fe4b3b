/// SyncGroup (key 14): after a join, the leader sends every member's assignment and each
/// member receives its own.
package struct SyncGroupRequest: KafkaRequest {
  package static let apiKey = ApiKey.syncGroup
  package var group: String
  package var generationId: Int32
  package var memberId: String
  package var protocolType: String
  package var protocolName: String
  /// The leader's assignments; empty from the other members.
  package var assignments: [(memberId: String, assignment: [UInt8])]

  package init(
    group: String, generationId: Int32, memberId: String, protocolType: String, protocolName: String,
    assignments: [(memberId: String, assignment: [UInt8])]
  ) {
    self.group = group
    self.generationId = generationId
    self.memberId = memberId
    self.protocolType = protocolType
    self.protocolName = protocolName
    self.assignments = assignments
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.string(group, field: "group id")
    writer.int32(generationId)
    writer.string(memberId, field: "member id")
    if version >= 3 { writer.nullableString(nil) }  // group instance id
    if version >= 5 {
      writer.nullableString(protocolType)
      writer.nullableString(protocolName)
    }
    writer.array(assignments) { writer, entry in
      writer.string(entry.memberId)
      writer.bytes(entry.assignment)
      writer.taggedFields()
    }
    writer.taggedFields()
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var assignment: [UInt8]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    _ = try reader.int32()  // throttle time (version 1 and later)
    let errorCode = KafkaErrorCode(try reader.int16())
    if version >= 5 {
      _ = try reader.nullableString()
      _ = try reader.nullableString()
    }
    let assignment = try reader.bytes()
    try reader.skipTaggedFields()
    return Response(errorCode: errorCode, assignment: assignment)
  }
}
