/// The "consumer" protocol type's embedded encodings (Kafka's ConsumerProtocolSubscription and
/// ConsumerProtocolAssignment): classic, never flexible, led by an int16 version. kq writes
/// version 0 (every client reads it) and reads any version by its version 0 fields, which
/// later versions only extend.
package enum ConsumerProtocol {
  package static let protocolType = "consumer"

  /// What a member subscribes to, sent in JoinGroup.
  package struct Subscription: Equatable, Sendable {
    package var topics: [String]

    package init(topics: [String]) { self.topics = topics }

    package init(decoding bytes: [UInt8]) throws(WireError) {
      var reader = WireReader(bytes)
      _ = try reader.int16()  // version
      topics = try reader.stringArray()
    }

    package var encoded: [UInt8] {
      var writer = WireWriter()
      writer.int16(0)
      writer.stringArray(topics)
      writer.nullableBytes(nil)  // user data
      return writer.bytes
    }
  }

  /// The partitions of each topic a member is given, sent in SyncGroup.
  package struct Assignment: Equatable, Sendable {
    package var partitions: [String: [Int32]]

    package init(partitions: [String: [Int32]]) { self.partitions = partitions }

    package init(decoding bytes: [UInt8]) throws(WireError) {
      partitions = [:]
      guard !bytes.isEmpty else { return }  // a member given nothing may get no bytes at all
      var reader = WireReader(bytes)
      _ = try reader.int16()  // version
      let count = try reader.arrayCount(minimumElementSize: 6)
      for _ in 0..<count {
        let topic = try reader.string()
        partitions[topic, default: []] += try reader.int32Array()
      }
    }

    package var encoded: [UInt8] {
      var writer = WireWriter()
      writer.int16(0)
      writer.array(partitions.sorted { $0.key < $1.key }) { writer, entry in
        writer.string(entry.key)
        writer.int32Array(entry.value.sorted())
      }
      writer.nullableBytes(nil)  // user data
      return writer.bytes
    }
  }
}
