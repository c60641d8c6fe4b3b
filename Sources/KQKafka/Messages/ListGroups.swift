/// ListGroups (key 16): the groups this broker coordinates. A client asks every broker.
package struct ListGroupsRequest: KafkaRequest {
  package static let apiKey = ApiKey.listGroups

  package init() {}

  package func encode(into writer: inout WireWriter, version: Int16) {
    if version >= 4 { writer.arrayCount(0) }  // states filter: all
    if version >= 5 { writer.arrayCount(0) }  // types filter: all
    writer.taggedFields()
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var groups: [ListedGroup]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    if version >= 1 { _ = try reader.int32() }  // throttle time
    let errorCode = KafkaErrorCode(try reader.int16())
    let groups = try reader.array(minimumElementSize: 2) { (r: inout WireReader) throws(WireError) in
      let name = try r.string()
      let protocolType = try r.string()
      let state = version >= 4 ? try r.string() : nil
      if version >= 5 { _ = try r.string() }  // group type
      try r.skipTaggedFields()
      return ListedGroup(name: name, protocolType: protocolType, state: state)
    }
    try reader.skipTaggedFields()
    return Response(errorCode: errorCode, groups: groups)
  }
}

/// A group as ListGroups names it. `protocolType` is "consumer" for consumer groups, "" for a
/// group that only stores offsets.
package struct ListedGroup: Equatable, Hashable, Sendable {
  package var name: String
  package var protocolType: String
  /// "Stable", "Empty", … (brokers answering version 4 and later).
  package var state: String?
}
