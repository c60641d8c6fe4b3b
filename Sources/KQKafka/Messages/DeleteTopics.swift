/// DeleteTopics (key 20), by name (version 6 sends names with a zero topic id).
package struct DeleteTopicsRequest: KafkaRequest {
  package static let apiKey = ApiKey.deleteTopics
  package var names: [String]
  package var timeoutMs: Int32

  package init(names: [String], timeoutMs: Int32) {
    self.names = names
    self.timeoutMs = timeoutMs
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    if version >= 6 {
      writer.array(names) { writer, name in
        writer.nullableString(name)
        writer.uuid(.zero)
        writer.taggedFields()
      }
    } else {
      writer.stringArray(names)
    }
    writer.int32(timeoutMs)
    writer.taggedFields()
  }

  package struct Result: Equatable, Sendable {
    package var name: String?
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> [Result] {
    _ = try reader.int32()  // throttle time (version 1 and later)
    let results = try reader.array(minimumElementSize: 3) { (r: inout WireReader) throws(WireError) in
      let name = try r.nullableString()
      if version >= 6 { _ = try r.uuid() }
      let errorCode = KafkaErrorCode(try r.int16())
      let message = version >= 5 ? try r.nullableString() : nil
      try r.skipTaggedFields()
      return Result(name: name, errorCode: errorCode, errorMessage: message)
    }
    try reader.skipTaggedFields()
    return results
  }
}
