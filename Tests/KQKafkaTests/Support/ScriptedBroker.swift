import Foundation
@testable import KQKafka

/// A fake broker that behaves like a one-node Kafka cluster for ApiVersions and Metadata (it
/// leads every partition of the topics it is given) and hands every other request to
/// `handle`, which answers as the test wants: what Tansu cannot show (Kafka's answers to time
/// lookups and out-of-range fetches, CreatePartitions) is checked against Kafka's semantics.
enum ScriptedBroker {
  static func start(
    topics: [String: Int32], listing keys: [ApiKey] = ApiKey.allCases,
    handle: @escaping @Sendable (FakeBroker.Peer, inout FakeBroker.Peer.Request) -> Void
  ) throws -> FakeBroker {
    let port = Box()
    let broker = try FakeBroker { peer in
      guard peer.answerApiVersions(listing: keys) else { return }
      while var request = peer.readRequestWithBody() {
        if request.api == .metadata {
          peer.answer(request) { metadata(&$0, version: request.version, port: port.value, topics: topics) }
        } else {
          handle(peer, &request)
        }
      }
    }
    port.value = Int32(broker.port)
    return broker
  }

  final class Box: @unchecked Sendable { var value: Int32 = 0 }

  /// What a scripted broker saw, in order (its handler runs on the broker's thread).
  final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    func add(_ entry: String) { lock.withLock { entries.append(entry) } }
    var all: [String] { lock.withLock { entries } }
  }

  /// Metadata naming this broker as node 1, controller and leader of everything.
  static func metadata(_ w: inout WireWriter, version: Int16, port: Int32, topics: [String: Int32]) {
    w.int32(0)  // throttle
    w.arrayCount(1)
    w.int32(1)
    w.string("127.0.0.1")
    w.int32(port)
    w.nullableString(nil)
    w.taggedFields()
    w.nullableString("fake")
    w.int32(1)
    w.array(topics.sorted { $0.key < $1.key }) { w, topic in
      w.int16(0)
      w.string(topic.key)
      if version >= 10 { w.uuid(.zero) }
      w.bool(false)
      w.array(Array(0..<topic.value)) { w, partition in
        w.int16(0)
        w.int32(partition)
        w.int32(1)
        if version >= 7 { w.int32(0) }
        w.int32Array([1])
        w.int32Array([1])
        if version >= 5 { w.int32Array([]) }
        w.taggedFields()
      }
      if version >= 8 { w.int32(Int32.min) }
      w.taggedFields()
    }
    if version >= 8 && version <= 10 { w.int32(Int32.min) }
    w.taggedFields()
  }
}
