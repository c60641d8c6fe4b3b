/// CreateTopics (key 19), sent to the controller (any broker forwards it in KRaft clusters).
/// Partitions or replication factor -1 take the broker's defaults (version 4 and later).
package struct CreateTopicsRequest: KafkaRequest {
  package static let apiKey = ApiKey.createTopics

  package struct Topic: Equatable, Sendable {
    package var name: String
    package var partitions: Int32
    package var replicationFactor: Int16
    package var configs: [(name: String, value: String?)]

    package init(name: String, partitions: Int32, replicationFactor: Int16, configs: [(name: String, value: String?)]) {
      self.name = name
      self.partitions = partitions
      self.replicationFactor = replicationFactor
      self.configs = configs
    }

    package static func == (a: Topic, b: Topic) -> Bool {
      a.name == b.name && a.partitions == b.partitions && a.replicationFactor == b.replicationFactor
        && a.configs.elementsEqual(b.configs) { $0.name == $1.name && $0.value == $1.value }
    }
  }

  package var topics: [Topic]
  package var timeoutMs: Int32
  package var validateOnly = false

  package init(topics: [Topic], timeoutMs: Int32) {
    self.topics = topics
    self.timeoutMs = timeoutMs
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.array(topics) { writer, topic in
      writer.string(topic.name)
      writer.int32(topic.partitions)
      writer.int16(topic.replicationFactor)
      writer.arrayCount(0)  // assignments: the broker places replicas
      writer.array(topic.configs) { writer, config in
        writer.string(config.name)
        writer.nullableString(config.value)
        writer.taggedFields()
      }
      writer.taggedFields()
    }
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
    _ = try reader.int32()  // throttle time (version 2 and later)
    let results = try reader.array(minimumElementSize: 4) { (r: inout WireReader) throws(WireError) in
      let name = try r.string()
      if version >= 7 { _ = try r.uuid() }
      let errorCode = KafkaErrorCode(try r.int16())
      let message = try r.nullableString()
      if version >= 5 {
        _ = try r.int32()  // partitions
        _ = try r.int16()  // replication factor
        _ = try r.nullableArray { (c: inout WireReader) throws(WireError) in
          _ = try c.string()
          _ = try c.nullableString()
          _ = try c.bool()
          _ = try c.int8()
          _ = try c.bool()
          try c.skipTaggedFields()
        }
      }
      try r.skipTaggedFields()
      return Result(name: name, errorCode: errorCode, errorMessage: message)
    }
    try reader.skipTaggedFields()
    return results
  }
}
