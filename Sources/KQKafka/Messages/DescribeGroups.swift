/// DescribeGroups (key 15): a group's state, protocol, and members with their assignments.
package struct DescribeGroupsRequest: KafkaRequest {
  package static let apiKey = ApiKey.describeGroups
  package var groups: [String]

  package init(groups: [String]) { self.groups = groups }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.stringArray(groups)
    if version >= 3 { writer.bool(false) }  // include authorized operations
    writer.taggedFields()
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> [GroupDescription] {
    _ = try reader.int32()  // throttle time (version 1 and later)
    let groups = try reader.array(minimumElementSize: 12) { (r: inout WireReader) throws(WireError) in
      let errorCode = KafkaErrorCode(try r.int16())
      let message = version >= 6 ? try r.nullableString() : nil
      let name = try r.string()
      let state = try r.string()
      let protocolType = try r.string()
      let protocolName = try r.string()
      let members = try r.array(minimumElementSize: 7) { (m: inout WireReader) throws(WireError) in
        let memberId = try m.string()
        if version >= 4 { _ = try m.nullableString() }  // group instance id
        let member = GroupDescription.Member(
          memberId: memberId, clientId: try m.string(), clientHost: try m.string(), metadata: try m.bytes(),
          assignment: try m.bytes())
        try m.skipTaggedFields()
        return member
      }
      if version >= 3 { _ = try r.int32() }  // authorized operations
      try r.skipTaggedFields()
      return GroupDescription(
        errorCode: errorCode, errorMessage: message, name: name, state: state, protocolType: protocolType,
        protocolName: protocolName, members: members)
    }
    try reader.skipTaggedFields()
    return groups
  }
}

/// A group as DescribeGroups reports it.
package struct GroupDescription: Equatable, Sendable {
  package var errorCode: KafkaErrorCode
  package var errorMessage: String?
  package var name: String
  /// "Stable", "PreparingRebalance", "CompletingRebalance", "Empty" or "Dead".
  package var state: String
  package var protocolType: String
  /// The assignment protocol chosen ("range", "roundrobin").
  package var protocolName: String
  package var members: [Member]

  package struct Member: Equatable, Sendable {
    package var memberId: String
    package var clientId: String
    package var clientHost: String
    /// The member's subscription, in the protocol type's encoding.
    package var metadata: [UInt8]
    /// The member's assignment, in the protocol type's encoding.
    package var assignment: [UInt8]

    /// The partitions assigned, decoded when the group is a consumer group.
    package var assignedPartitions: [String: [Int32]]? {
      (try? ConsumerProtocol.Assignment(decoding: assignment))?.partitions
    }
  }
}
