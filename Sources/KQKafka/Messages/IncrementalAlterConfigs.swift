/// IncrementalAlterConfigs (key 44) of one topic: sets or removes individual configs, leaving
/// the others as they are.
package struct IncrementalAlterConfigsRequest: KafkaRequest {
  package static let apiKey = ApiKey.incrementalAlterConfigs

  package enum Operation: Int8, Sendable {
    case set = 0
    case delete = 1
  }

  package var topic: String
  package var changes: [(name: String, operation: Operation, value: String?)]

  package init(topic: String, changes: [(name: String, operation: Operation, value: String?)]) {
    self.topic = topic
    self.changes = changes
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.arrayCount(1)
    writer.int8(ConfigResourceType.topic)
    writer.string(topic)
    writer.array(changes) { writer, change in
      writer.string(change.name)
      writer.int8(change.operation.rawValue)
      writer.nullableString(change.value)
      writer.taggedFields()
    }
    writer.taggedFields()
    writer.bool(false)  // validate only
    writer.taggedFields()
  }

  package struct Result: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var name: String
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> [Result] {
    _ = try reader.int32()  // throttle time
    let results = try reader.array(minimumElementSize: 6) { (r: inout WireReader) throws(WireError) in
      let errorCode = KafkaErrorCode(try r.int16())
      let message = try r.nullableString()
      _ = try r.int8()
      let result = Result(errorCode: errorCode, errorMessage: message, name: try r.string())
      try r.skipTaggedFields()
      return result
    }
    try reader.skipTaggedFields()
    return results
  }
}
