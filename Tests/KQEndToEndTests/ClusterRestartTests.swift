import Foundation
import Glibc
import KQTestSupport
import Testing

/// A broker restarted under `consume -f --brokers`: the follower waits it out as kcat does,
/// with one warning line while the cluster cannot be reached, however long that is
/// (`--broker-timeout` bounds each attempt, not the wait for records), and goes on with the
/// records produced once it is back: none repeated, none skipped. Tansu keeps its log in
/// memory (0.6.0 has no storage engine on local disk), so the broker comes back without the
/// topic: the test creates it again, with a new topic id, and the follower, told so by the
/// id, reads the new topic from its start, once per partition saying so. The follower is
/// stopped (SIGSTOP) while the broker restarts and the new topic gets more records than the
/// follower had read, so that it finds them all there at once: by offsets alone it would
/// skip them.
@Suite("cluster follow across a broker restart", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterRestartTests {
  static func expected(_ values: [String], partitions: Int) -> Set<String> {
    Set((0..<partitions).flatMap { partition in values.enumerated().map { "\(partition) \($0.offset) \($0.element)" } })
  }

  /// Stops the broker, waits for the follower's warning, and brings the broker back (the
  /// follower stopped meanwhile) with topic `t` of `partitions` holding c, d and e in each.
  static func restart(_ cluster: ClusterTests.Cluster, under follower: KQProcess.Running, partitions: Int) throws {
    cluster.broker.stop()
    #expect(follower.waitForErrors(containing: "kq: warning: cannot reach the cluster", timeout: 30))
    #expect(follower.freeze())
    try cluster.broker.restart()
    try cluster.ok("topic", "create", "t", "--partitions", String(partitions))
    for partition in 0..<partitions { try cluster.ok("produce", "t", "-p", String(partition), stdin: "c\nd\ne\n") }
    follower.signal(SIGCONT)
  }

  @Test("consume -f of one partition and of several rides out a broker restart: one warning, then the new topic's records, none repeated or skipped", arguments: [1, 3])
  func followerRidesOutRestart(partitions: Int) throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", String(partitions))
    for partition in 0..<partitions { try cluster.ok("produce", "t", "-p", String(partition), stdin: "a\nb\n") }
    let follower = try KQProcess.start(
      ["--broker-timeout", "2s", "consume", "t", "-f", "--format", "%p %o %v\\n"], directory: cluster.kq.path,
      environment: cluster.environment)
    let before = (0..<2 * partitions).map { _ in follower.readLine(timeout: 30) ?? "" }
    #expect(Set(before) == Self.expected(["a", "b"], partitions: partitions))
    try Self.restart(cluster, under: follower, partitions: partitions)
    let after = (0..<3 * partitions).map { _ in follower.readLine(timeout: 30) ?? "" }
    #expect(Set(after) == Self.expected(["c", "d", "e"], partitions: partitions))
    for partition in 0..<partitions { try cluster.ok("produce", "t", "-p", String(partition), stdin: "f\n") }
    let later = (0..<partitions).map { _ in follower.readLine(timeout: 30) ?? "" }
    #expect(Set(later) == Set((0..<partitions).map { "\($0) 3 f" }))
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130, "\(ended)")
    #expect(ended.output.split(separator: "\n").count == 6 * partitions, "nothing repeated: \(ended)")
    let warnings = ended.errors.split(separator: "\n")
    #expect(warnings.filter { $0.contains("cannot reach the cluster") }.count == 1, "\(ended)")
    #expect(warnings.filter { $0.contains("the topic was deleted and created again") }.count == partitions, "\(ended)")
    #expect(warnings.count == 1 + partitions && warnings.allSatisfy { $0.hasPrefix("kq: warning: ") }, "\(ended)")
  }

  @Test("consume --group -f rides out a broker restart: its commits wait, it joins the group again once the broker is back, reads the new topic's records, none repeated or skipped, and commits them")
  func groupFollowerRidesOutRestart() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "2")
    for partition in 0..<2 { try cluster.ok("produce", "t", "-p", String(partition), stdin: "a\nb\n") }
    // A join waits on Tansu for the group's rebalance (6 s): --broker-timeout leaves room.
    let follower = try KQProcess.start(
      ["--broker-timeout", "12s", "consume", "t", "--group", "g", "-f", "--format", "%p %o %v\\n"], directory: cluster.kq.path,
      environment: cluster.environment)
    let before = (0..<4).map { _ in follower.readLine(timeout: 30) ?? "" }
    #expect(Set(before) == Self.expected(["a", "b"], partitions: 2))
    try Self.restart(cluster, under: follower, partitions: 2)
    let after = (0..<6).map { _ in follower.readLine(timeout: 60) ?? "" }
    #expect(Set(after) == Self.expected(["c", "d", "e"], partitions: 2))
    // The follower commits while it follows, once it has joined the restarted broker's new
    // group (a commit refused before the join is the next generation's to make): wait for it.
    var committed: [Int64?] = []
    for _ in 0..<240 where committed != [3, 3] {
      let described = try cluster.run("group", "describe", "g", "--json")
      let rows = (try? JSON.object(described.output)["partitions"] as? [[String: Any]]) ?? []
      committed = rows.map { JSON.int($0["committed_offset"]) }
      if committed != [3, 3] { usleep(500_000) }
    }
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130, "\(ended)")
    #expect(ended.output.split(separator: "\n").count == 10, "nothing repeated: \(ended)")
    let warnings = ended.errors.split(separator: "\n")
    #expect(warnings.filter { $0.contains("cannot reach the cluster") }.count == 1, "\(ended)")
    #expect(warnings.allSatisfy { $0.hasPrefix("kq: warning: ") }, "\(ended)")
    let rows = (try JSON.object(try cluster.ok("group", "describe", "g", "--json").output)["partitions"] as? [[String: Any]]) ?? []
    #expect(rows.map { JSON.int($0["committed_offset"]) } == [3, 3], "\(rows)")
  }
}

extension ClusterRestartTests {
  @Test("a produce to a broker that stops answering ends within --broker-timeout, resends included, and says the last batch may or may not be stored")
  func produceToFrozenBroker() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    let producer = try KQProcess.start(
      ["--broker-timeout", "2s", "produce", "t", "--print-offsets"], directory: cluster.kq.path, environment: cluster.environment)
    producer.write("a\n")
    #expect(producer.readLine(timeout: 30) == "0 0")
    #expect(cluster.broker.freeze())
    defer { cluster.broker.signal(SIGCONT) }
    let start = Date()
    producer.write("b\n")
    producer.closeInput()
    let ended = try producer.finish()
    let seconds = Date().timeIntervalSince(start)
    #expect(ended.status == 69, "\(ended)")
    #expect(ended.errors.contains("the batch may or may not have been stored"), "\(ended)")
    #expect(ended.errors.contains("1 record before it was stored"), "\(ended)")
    // One timeout for the batch, resends and all (each used to get a timeout of its own).
    #expect(seconds < 3.5, "exited after \(seconds) s: \(ended)")
  }
}
