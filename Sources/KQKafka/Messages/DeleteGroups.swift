/// DeleteGroups (key 42): removes groups with no members, offsets included.
package struct DeleteGroupsRequest: KafkaRequest {
  package static let apiKey = ApiKey.deleteGroups
  package var groups: [String]

  package init(groups: [String]) { self.groups = groups }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.stringArray(groups)
    writer.taggedFields()
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError)
    -> [(group: String, errorCode: KafkaErrorCode)]
  {
    _ = try reader.int32()  // throttle time
    let results = try reader.array(minimumElementSize: 3) { (r: inout WireReader) throws(WireError) in
      let result = (group: try r.string(), errorCode: KafkaErrorCode(try r.int16()))
      try r.skipTaggedFields()
      return result
    }
    try reader.skipTaggedFields()
    return results
  }
}
