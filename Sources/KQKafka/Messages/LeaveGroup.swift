/// LeaveGroup (key 13): a member leaves at once, so the group rebalances without waiting for
/// its session to time out.
package struct LeaveGroupRequest: KafkaRequest {
  package static let apiKey = ApiKey.leaveGroup
  package var group: String
  package var memberId: String

  package init(group: String, memberId: String) {
    self.group = group
    self.memberId = memberId
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.string(group, field: "group id")
    if version <= 2 {
      writer.string(memberId, field: "member id")
    } else {
      writer.arrayCount(1)
      writer.string(memberId, field: "member id")
      writer.nullableString(nil)  // group instance id
      if version >= 5 { writer.nullableString(nil) }  // reason
      writer.taggedFields()
    }
    writer.taggedFields()
  }

  /// The group's error, else the member's.
  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> KafkaErrorCode {
    _ = try reader.int32()  // throttle time (version 1 and later)
    var errorCode = KafkaErrorCode(try reader.int16())
    if version >= 3 {
      let members = try reader.array(minimumElementSize: 4) { (r: inout WireReader) throws(WireError) in
        _ = try r.string()
        _ = try r.nullableString()
        let code = KafkaErrorCode(try r.int16())
        try r.skipTaggedFields()
        return code
      }
      if errorCode.isNone, let failed = members.first(where: { !$0.isNone }) { errorCode = failed }
    }
    try reader.skipTaggedFields()
    return errorCode
  }
}
