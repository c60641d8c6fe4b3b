/// Splits the partitions of the subscribed topics among a group's members. The group's leader
/// runs it (kq's client is the leader whenever the coordinator picks it) and sends the result
/// in SyncGroup. Both strategies give every partition to exactly one member subscribed to its
/// topic, deterministically: members are taken in order of member id.
package enum PartitionAssignor: String, CaseIterable, Sendable {
  /// Per topic, consecutive ranges: the first `partitions % members` members get one more.
  /// Kafka's RangeAssignor.
  case range
  /// All topic-partitions in order, dealt one at a time to the next member subscribed to the
  /// topic. Kafka's RoundRobinAssignor.
  case roundRobin = "roundrobin"

  /// The protocol name in JoinGroup.
  package var name: String { rawValue }

  /// `subscriptions` maps member id to its topics; `partitionCounts` each topic's partitions
  /// (a topic missing from it is not assigned). Every member gets an entry, empty or not.
  package func assign(subscriptions: [String: [String]], partitionCounts: [String: Int32]) -> [String: [String: [Int32]]] {
    var result: [String: [String: [Int32]]] = [:]
    for member in subscriptions.keys { result[member] = [:] }
    switch self {
    case .range:
      let topics = Set(subscriptions.values.joined()).sorted()
      for topic in topics {
        guard let count = partitionCounts[topic], count > 0 else { continue }
        let members = subscriptions.filter { $0.value.contains(topic) }.keys.sorted()
        guard !members.isEmpty else { continue }
        let each = Int(count) / members.count
        let extra = Int(count) % members.count
        var next = 0
        for (index, member) in members.enumerated() {
          let size = each + (index < extra ? 1 : 0)
          if size > 0 { result[member, default: [:]][topic] = (next..<next + size).map { Int32($0) } }
          next += size
        }
      }
    case .roundRobin:
      let members = subscriptions.keys.sorted()
      guard !members.isEmpty else { return result }
      var turn = 0
      for topic in Set(subscriptions.values.joined()).sorted() {
        guard let count = partitionCounts[topic], count > 0 else { continue }
        for partition in 0..<count {
          // The next member, in turn, that subscribes to this topic.
          for step in 0..<members.count {
            let member = members[(turn + step) % members.count]
            if subscriptions[member]?.contains(topic) == true {
              result[member, default: [:]][topic, default: []].append(partition)
              turn = (turn + step + 1) % members.count
              break
            }
          }
        }
      }
    }
    return result
  }
}
