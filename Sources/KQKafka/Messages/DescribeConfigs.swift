/// DescribeConfigs (key 32) of one topic: every config with its value and where it comes
/// from (a topic override or a default).
package struct DescribeConfigsRequest: KafkaRequest {
  package static let apiKey = ApiKey.describeConfigs
  package var topic: String
  /// nil: every config.
  package var keys: [String]?

  package init(topic: String, keys: [String]? = nil) {
    self.topic = topic
    self.keys = keys
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.arrayCount(1)
    writer.int8(ConfigResourceType.topic)
    writer.string(topic)
    writer.nullableArray(keys) { $0.string($1) }
    writer.taggedFields()
    writer.bool(false)  // include synonyms
    if version >= 3 { writer.bool(false) }  // include documentation
    writer.taggedFields()
  }

  package struct Result: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var name: String
    package var entries: [TopicConfigEntry]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> [Result] {
    _ = try reader.int32()  // throttle time
    let results = try reader.array(minimumElementSize: 8) { (r: inout WireReader) throws(WireError) in
      let errorCode = KafkaErrorCode(try r.int16())
      let message = try r.nullableString()
      _ = try r.int8()  // resource type
      let name = try r.string()
      let entries = try r.array(minimumElementSize: 4) { (c: inout WireReader) throws(WireError) in
        let key = try c.string()
        let value = try c.nullableString()
        let isReadOnly = try c.bool()
        let source = version >= 1 ? try c.int8() : -1
        if version == 0 { _ = try c.bool() }  // is default
        let isSensitive = try c.bool()
        if version >= 1 {
          _ = try c.array { (s: inout WireReader) throws(WireError) in
            _ = try s.string()
            _ = try s.nullableString()
            _ = try s.int8()
            try s.skipTaggedFields()
          }
        }
        if version >= 3 {
          _ = try c.int8()  // config type
          _ = try c.nullableString()  // documentation
        }
        try c.skipTaggedFields()
        return TopicConfigEntry(
          name: key, value: value, source: TopicConfigEntry.Source(rawValue: source) ?? .unknown, isReadOnly: isReadOnly,
          isSensitive: isSensitive)
      }
      try r.skipTaggedFields()
      return Result(errorCode: errorCode, errorMessage: message, name: name, entries: entries)
    }
    try reader.skipTaggedFields()
    return results
  }
}

/// Kafka's config resource types (DescribeConfigs, IncrementalAlterConfigs).
package enum ConfigResourceType {
  package static let topic: Int8 = 2
}

/// A topic config as the broker reports it.
package struct TopicConfigEntry: Equatable, Sendable {
  package var name: String
  /// nil for a sensitive value, or a config with no value.
  package var value: String?
  package var source: Source
  package var isReadOnly: Bool
  package var isSensitive: Bool

  /// Where the value comes from (DescribeConfigs' ConfigSource).
  package enum Source: Int8, Sendable {
    case unknown = 0
    case topic = 1
    case dynamicBroker = 2
    case dynamicDefaultBroker = 3
    case staticBroker = 4
    case defaultConfig = 5
    case dynamicBrokerLogger = 6
    case clientMetrics = 7
    case group = 8
  }

  /// Whether the topic sets this value itself, rather than inheriting a default.
  package var isTopicOverride: Bool { source == .topic }
}
