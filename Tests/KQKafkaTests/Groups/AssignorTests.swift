import Testing

@testable import KQKafka

@Suite("Partition assignors and the consumer protocol")
struct AssignorTests {
  @Test("range gives each member a consecutive run per topic, the first members one more")
  func range() {
    let result = PartitionAssignor.range.assign(
      subscriptions: ["c": ["orders"], "a": ["orders", "users"], "b": ["orders"]], partitionCounts: ["orders": 7, "users": 2])
    #expect(result == ["a": ["orders": [0, 1, 2], "users": [0, 1]], "b": ["orders": [3, 4]], "c": ["orders": [5, 6]]])
  }

  @Test("round robin deals every topic-partition in turn to the next member subscribed to it")
  func roundRobin() {
    let result = PartitionAssignor.roundRobin.assign(
      subscriptions: ["a": ["orders", "users"], "b": ["orders"], "c": ["users"]], partitionCounts: ["orders": 3, "users": 3])
    #expect(result == ["a": ["orders": [0, 2], "users": [1]], "b": ["orders": [1]], "c": ["users": [0, 2]]])
  }

  @Test("every partition goes to exactly one subscribed member, whatever the group", arguments: 0..<50 as Range<UInt64>)
  func coverage(seed: UInt64) {
    var random = SplitMix(seed: seed)
    let topics = ["t0", "t1", "t2"]
    var subscriptions: [String: [String]] = [:]
    for member in 0..<Int(1 + random.next() % 5) {
      subscriptions["m\(member)"] = topics.filter { _ in random.next() % 2 == 0 }
    }
    let counts = Dictionary(uniqueKeysWithValues: topics.map { ($0, Int32(random.next() % 9)) })
    for assignor in PartitionAssignor.allCases {
      let result = assignor.assign(subscriptions: subscriptions, partitionCounts: counts)
      #expect(Set(result.keys) == Set(subscriptions.keys))
      for topic in topics {
        let owners = result.flatMap { member, topics in (topics[topic] ?? []).map { ($0, member) } }
        let subscribed = subscriptions.values.contains { $0.contains(topic) }
        #expect(owners.map(\.0).sorted() == (subscribed ? Array(0..<counts[topic]!) : []), "\(assignor) \(topic)")
        #expect(owners.allSatisfy { subscriptions[$0.1]!.contains(topic) })
      }
      if assignor == .range {  // per topic, shares differ by at most one
        for topic in topics {
          let sizes = subscriptions.filter { $0.value.contains(topic) }.keys.map { result[$0]?[topic]?.count ?? 0 }
          #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        }
      }
    }
  }

  @Test("subscriptions and assignments round-trip; a later version is read by its version 0 fields")
  func consumerProtocol() throws {
    let subscription = ConsumerProtocol.Subscription(topics: ["orders", "users"])
    #expect(try ConsumerProtocol.Subscription(decoding: subscription.encoded) == subscription)
    let assignment = ConsumerProtocol.Assignment(partitions: ["orders": [2, 0], "users": [1]])
    #expect(try ConsumerProtocol.Assignment(decoding: assignment.encoded).partitions == ["orders": [0, 2], "users": [1]])
    // Version 3, as Java writes it: topics, user data, owned partitions, generation, rack.
    var writer = WireWriter()
    writer.int16(3)
    writer.stringArray(["orders"])
    writer.nullableBytes(nil)
    writer.array(["orders"]) { w, topic in
      w.string(topic)
      w.int32Array([1])
    }
    writer.int32(4)
    writer.nullableString("rack-1")
    #expect(try ConsumerProtocol.Subscription(decoding: writer.bytes).topics == ["orders"])
    #expect(try ConsumerProtocol.Assignment(decoding: []).partitions == [:])
  }
}
