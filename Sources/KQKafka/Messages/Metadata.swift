/// Metadata (key 3): the brokers, the controller, and for each topic asked its partitions with
/// their leaders. Topics nil asks for every topic. kq never lets Metadata create topics.
package struct MetadataRequest: KafkaRequest {
  package static let apiKey = ApiKey.metadata
  package var topics: [String]?

  package init(topics: [String]?) { self.topics = topics }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.nullableArray(topics) { writer, name in
      if version >= 10 { writer.uuid(.zero) }
      writer.string(name)
      writer.taggedFields()
    }
    if version >= 4 { writer.bool(false) }  // allow auto topic creation
    if version >= 8 {
      if version <= 10 { writer.bool(false) }  // include cluster authorized operations
      writer.bool(false)  // include topic authorized operations
    }
    writer.taggedFields()
  }

  package struct Broker: Equatable, Sendable {
    package var nodeId: Int32
    package var host: String
    package var port: Int32
    package var rack: String?
  }

  package struct Partition: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var index: Int32
    package var leaderId: Int32
    package var leaderEpoch: Int32
    package var replicas: [Int32]
    package var inSyncReplicas: [Int32]
  }

  package struct Topic: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var name: String?
    /// Version 10 and later; zero before, or from a broker without topic ids.
    package var topicId = KafkaUUID.zero
    package var isInternal: Bool
    package var partitions: [Partition]
  }

  package struct Response: Equatable, Sendable {
    package var brokers: [Broker]
    package var clusterId: String?
    package var controllerId: Int32
    package var topics: [Topic]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    if version >= 3 { _ = try reader.int32() }  // throttle time
    let brokers = try reader.array(minimumElementSize: 10) { (r: inout WireReader) throws(WireError) in
      let broker = Broker(
        nodeId: try r.int32(), host: try r.string(), port: try r.int32(), rack: version >= 1 ? try r.nullableString() : nil)
      try r.skipTaggedFields()
      return broker
    }
    let clusterId = version >= 2 ? try reader.nullableString() : nil
    let controllerId = version >= 1 ? try reader.int32() : -1
    let topics = try reader.array(minimumElementSize: 4) { (r: inout WireReader) throws(WireError) in
      let errorCode = KafkaErrorCode(try r.int16())
      let name = try r.nullableString()
      let topicId = version >= 10 ? try r.uuid() : .zero
      let isInternal = version >= 1 ? try r.bool() : false
      let partitions = try r.array(minimumElementSize: 18) { (p: inout WireReader) throws(WireError) in
        let partition = Partition(
          errorCode: KafkaErrorCode(try p.int16()), index: try p.int32(), leaderId: try p.int32(),
          leaderEpoch: version >= 7 ? try p.int32() : -1, replicas: try p.int32Array(), inSyncReplicas: try p.int32Array())
        if version >= 5 { _ = try p.int32Array() }  // offline replicas
        try p.skipTaggedFields()
        return partition
      }
      if version >= 8 { _ = try r.int32() }  // topic authorized operations
      try r.skipTaggedFields()
      var topic = Topic(errorCode: errorCode, name: name, isInternal: isInternal, partitions: partitions)
      topic.topicId = topicId
      return topic
    }
    if version >= 8 && version <= 10 { _ = try reader.int32() }  // cluster authorized operations
    try reader.skipTaggedFields()
    return Response(brokers: brokers, clusterId: clusterId, controllerId: controllerId, topics: topics)
  }
}
