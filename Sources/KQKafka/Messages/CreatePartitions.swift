/// CreatePartitions (key 37): grows a topic to `count` partitions in all. Some brokers (Tansu
/// 0.6.0) do not offer it; the connection then refuses with `unsupportedApi`.
package struct CreatePartitionsRequest: KafkaRequest {
  package static let apiKey = ApiKey.createPartitions
  package var topic: String
  package var count: Int32
  package var timeoutMs: Int32
  package var validateOnly = false

  package init(topic: String, count: Int32, timeoutMs: Int32) {
    self.topic = topic
    self.count = count
    self.timeoutMs = timeoutMs
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.arrayCount(1)
    writer.string(topic)
    writer.int32(count)
    writer.nullArray()  // assignments: the broker places replicas
    writer.taggedFields()
    writer.int32(timeoutMs)
    writer.bool(validateOnly)
    writer.taggedFields()
  }

  package struct Result: Equatable, Sendable {
    package var name: String
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> [Result] {
    _ = try reader.int32()  // throttle time
    let results = try reader.array(minimumElementSize: 4) { (r: inout WireReader) throws(WireError) in
      let result = Result(name: try r.string(), errorCode: KafkaErrorCode(try r.int16()), errorMessage: try r.nullableString())
      try r.skipTaggedFields()
      return result
    }
    try reader.skipTaggedFields()
    return results
  }
}
