/// JoinGroup (key 11): a member asks to join, naming the assignment protocols it supports
/// with its subscription in each. The broker answers when the group's rebalance completes;
/// the leader's answer lists every member and its subscription.
package struct JoinGroupRequest: KafkaRequest {
  package static let apiKey = ApiKey.joinGroup
  package var group: String
  package var sessionTimeoutMs: Int32
  package var rebalanceTimeoutMs: Int32
  /// "" on the first join; the id the broker gave after.
  package var memberId: String
  package var protocolType: String
  package var protocols: [(name: String, metadata: [UInt8])]

  package init(
    group: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, memberId: String, protocolType: String,
    protocols: [(name: String, metadata: [UInt8])]
  ) {
    self.group = group
    self.sessionTimeoutMs = sessionTimeoutMs
    self.rebalanceTimeoutMs = rebalanceTimeoutMs
    self.memberId = memberId
    self.protocolType = protocolType
    self.protocols = protocols
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.string(group, field: "group id")
    writer.int32(sessionTimeoutMs)
    writer.int32(rebalanceTimeoutMs)
    writer.string(memberId, field: "member id")
    if version >= 5 { writer.nullableString(nil) }  // group instance id: dynamic membership
    writer.string(protocolType)
    writer.array(protocols) { writer, entry in
      writer.string(entry.name)
      writer.bytes(entry.metadata)
      writer.taggedFields()
    }
    if version >= 8 { writer.nullableString(nil) }  // reason
    writer.taggedFields()
  }

  package struct Member: Equatable, Sendable {
    package var memberId: String
    package var metadata: [UInt8]
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var generationId: Int32
    package var protocolName: String?
    package var leader: String
    package var memberId: String
    /// Every member with its metadata, for the leader; empty for the others.
    package var members: [Member]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    if version >= 2 { _ = try reader.int32() }  // throttle time
    let errorCode = KafkaErrorCode(try reader.int16())
    let generationId = try reader.int32()
    if version >= 7 { _ = try reader.nullableString() }  // protocol type
    let protocolName = try reader.nullableString()
    let leader = try reader.string()
    if version >= 9 { _ = try reader.bool() }  // skip assignment
    let memberId = try reader.string()
    let members = try reader.array(minimumElementSize: 3) { (r: inout WireReader) throws(WireError) in
      let memberId = try r.string()
      if version >= 5 { _ = try r.nullableString() }  // group instance id
      let member = Member(memberId: memberId, metadata: try r.bytes())
      try r.skipTaggedFields()
      return member
    }
    try reader.skipTaggedFields()
    return Response(
      errorCode: errorCode, generationId: generationId, protocolName: protocolName, leader: leader, memberId: memberId,
      members: members)
  }
}
