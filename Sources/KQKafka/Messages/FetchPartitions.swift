/// Fetch (key 1) of several partitions of one leader in one request, each from its own offset:
/// what a follower of many partitions sends, so that a record on any of them ends the long
/// poll. Same fields, versions and response as `FetchRequest` (which asks for one partition);
/// `maxBytes` bounds the whole answer, `partitionMaxBytes` each partition's share.
package struct FetchPartitionsRequest: KafkaRequest {
  package static let apiKey = ApiKey.fetch
  package typealias Response = FetchRequest.Response

  package struct Target: Hashable, Sendable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64

    package init(topic: String, partition: Int32, offset: Int64) {
      self.topic = topic
      self.partition = partition
      self.offset = offset
    }
  }

  package var targets: [Target]
  package var maxWaitMs: Int32
  package var minBytes: Int32
  package var maxBytes: Int32
  package var partitionMaxBytes: Int32
  package var isolation: FetchIsolation

  package init(
    targets: [Target], maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32, partitionMaxBytes: Int32,
    isolation: FetchIsolation = .readCommitted
  ) {
    self.isolation = isolation
    self.targets = targets
    self.maxWaitMs = maxWaitMs
    self.minBytes = minBytes
    self.maxBytes = maxBytes
    self.partitionMaxBytes = partitionMaxBytes
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    writer.int32(-1)  // replica id: a consumer
    writer.int32(maxWaitMs)
    writer.int32(minBytes)
    if version >= 3 { writer.int32(maxBytes) }
    if version >= 4 { writer.int8(isolation.rawValue) }
    if version >= 7 {
      writer.int32(0)  // session id
      writer.int32(-1)  // session epoch: no session
    }
    // Partitions of a topic together, topics in the order first named.
    var topics: [(name: String, targets: [Target])] = []
    for target in targets {
      if let index = topics.firstIndex(where: { $0.name == target.topic }) {
        topics[index].targets.append(target)
      } else {
        topics.append((target.topic, [target]))
      }
    }
    writer.array(topics) { writer, topic in
      writer.string(topic.name)
      writer.array(topic.targets) { writer, target in
        writer.int32(target.partition)
        if version >= 9 { writer.int32(-1) }  // current leader epoch: unknown
        writer.int64(target.offset)
        if version >= 12 { writer.int32(-1) }  // last fetched epoch
        if version >= 5 { writer.int64(-1) }  // log start offset: a consumer's is -1
        writer.int32(partitionMaxBytes)
        writer.taggedFields()
      }
      writer.taggedFields()
    }
    if version >= 7 { writer.arrayCount(0) }  // forgotten topics
    if version >= 11 { writer.string("") }  // rack id
    writer.taggedFields()
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    try FetchRequest.decodeResponse(&reader, version: version)
  }
}
