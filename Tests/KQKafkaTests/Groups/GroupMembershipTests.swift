import KQTestSupport
import Testing

@testable import KQKafka

@Suite("Consumer groups against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct GroupMembershipTests {
  /// Tansu 0.6.0 completes a join half a session timeout after it begins, whoever has
  /// joined: a short session keeps the test short, heartbeats every 100 ms keep it alive.
  private var fast: GroupMember.Options {
    var options = GroupMember.Options()
    options.sessionTimeout = .seconds(2)
    options.rebalanceTimeout = .seconds(2)
    options.heartbeatInterval = .milliseconds(100)
    return options
  }

  @Test("two members split the partitions, commit their own, and the leaver's go back to the other")
  func twoMembers() throws {
    let tansu = try TansuCluster(timeout: .seconds(20))
    try tansu.cluster.createTopic("orders", partitions: 4)
    let first = try GroupMember(cluster: tansu.cluster, group: "loaders", topics: ["orders"], options: fast)
    #expect(try first.join() == ["orders": [0, 1, 2, 3]])

    // The second member's join completes once the first joins again, which its heartbeat
    // thread tells it to do.
    let second = try GroupMember(cluster: tansu.client(), group: "loaders", topics: ["orders"], options: fast)
    let secondJoin = JoinBox()
    let handed = Handed(second)
    let thread = try TestThread { secondJoin.set(Result { try handed.value.join() }) }
    #expect(first.waitForRebalance(until: .after(.seconds(20))))
    let firstShare = try first.join()
    thread.join()
    let secondShare = try secondJoin.get()
    #expect(first.generationId == second.generationId)
    let split = (firstShare["orders"] ?? []) + (secondShare["orders"] ?? [])
    #expect(split.sorted() == [0, 1, 2, 3])
    #expect(firstShare["orders"]?.count == 2 && secondShare["orders"]?.count == 2)
    #expect(first.isLeader != second.isLeader)

    // Each commits the partitions it owns; the group's offsets are the union.
    try first.commit(topic: "orders", offsets: Dictionary(uniqueKeysWithValues: firstShare["orders"]!.map { ($0, Int64(10 + $0)) }))
    try second.commit(topic: "orders", offsets: Dictionary(uniqueKeysWithValues: secondShare["orders"]!.map { ($0, Int64(10 + $0)) }))
    #expect(try tansu.cluster.committedOffsets(group: "loaders", topic: "orders", partitions: [0, 1, 2, 3]) == [0: 10, 1: 11, 2: 12, 3: 13])

    // Tansu 0.6.0 leaves the members' subscriptions and assignments out (KafkaSemanticsTests
    // decodes them from a scripted broker).
    let description = try tansu.cluster.describeGroup("loaders")
    #expect(description.state == "Stable" && description.protocolType == "consumer" && description.members.count == 2)
    #expect(try tansu.cluster.listGroups().map(\.name).contains("loaders"))

    // The second leaves: the first is told to join again and gets every partition back.
    try second.leave()
    #expect(first.waitForRebalance(until: .after(.seconds(20))))
    #expect(try first.join() == ["orders": [0, 1, 2, 3]])
    try first.leave()
  }

  @Test("offsets committed from outside a group are read back, and deleting the group removes them")
  func offsetsFromOutside() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 3)
    try tansu.cluster.commitOffsets(group: "reset", topic: "orders", offsets: [0: 5, 1: 9])
    #expect(try tansu.cluster.committedOffsets(group: "reset", topic: "orders", partitions: [0, 1, 2]) == [0: 5, 1: 9])
    // Asked for every topic, Tansu 0.6.0 answers none (a null list): only decoded here.
    _ = try tansu.cluster.committedOffsets(group: "reset")
    try tansu.cluster.deleteGroup("reset")
    #expect(try tansu.cluster.committedOffsets(group: "reset", topic: "orders", partitions: [0, 1, 2]) == [:])
  }
}

final class JoinBox: @unchecked Sendable {
  private let lock = NSLockBox()
  private var result: Result<[String: [Int32]], any Error>?
  func set(_ value: Result<[String: [Int32]], any Error>) { lock.run { result = value } }
  func get() throws -> [String: [Int32]] {
    guard let result = lock.run({ result }) else { throw CancellationError() }
    return try result.get()
  }
}
