import Foundation
import Glibc
import KQTestSupport
import Testing

/// A broker restarted under `consume -f --brokers`: the follower waits it out as kcat does,
/// with one warning line while the cluster cannot be reached, however long that is
/// (`--broker-timeout` bounds each attempt, not the wait for records), and goes on with the
/// records produced once it is back: none repeated, none skipped. Tansu keeps its log in
/// memory (0.6.0 has no storage engine on local disk), so the broker comes back without the
/// topic: the test creates it again, and the follower, whose position is past the new log's
/// end, says so once per partition and reads the new log from its end (offset 0).
@Suite("cluster follow across a broker restart", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterRestartTests {
  static func expected(_ value: String, offset: Int, partitions: Int) -> Set<String> {
    Set((0..<partitions).map { "\($0) \(offset) \(value)" })
  }

  @Test("consume -f of one partition and of several rides out a broker restart: one warning, then the new records, none repeated or skipped", arguments: [1, 3])
  func followerRidesOutRestart(partitions: Int) throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", String(partitions))
    for partition in 0..<partitions { try cluster.ok("produce", "t", "-p", String(partition), stdin: "a\nb\n") }
    let follower = try KQProcess.start(
      ["--broker-timeout", "2s", "consume", "t", "-f", "--format", "%p %o %v\\n"], directory: cluster.kq.path,
      environment: cluster.environment)
    let before = (0..<2 * partitions).map { _ in follower.readLine(timeout: 30) ?? "" }
    #expect(Set(before) == Self.expected("a", offset: 0, partitions: partitions).union(Self.expected("b", offset: 1, partitions: partitions)))
    cluster.broker.stop()
    #expect(follower.waitForErrors(containing: "kq: warning: cannot reach the cluster", timeout: 30))
    try cluster.broker.restart()
    try cluster.ok("topic", "create", "t", "--partitions", String(partitions))
    #expect(follower.waitForErrors(containing: "now ends at offset 0, before offset 2", count: partitions, timeout: 30))
    for partition in 0..<partitions { try cluster.ok("produce", "t", "-p", String(partition), stdin: "c\n") }
    let after = (0..<partitions).map { _ in follower.readLine(timeout: 30) ?? "" }
    #expect(Set(after) == Self.expected("c", offset: 0, partitions: partitions))
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130, "\(ended)")
    #expect(ended.output.split(separator: "\n").count == 3 * partitions, "nothing repeated: \(ended)")
    let warnings = ended.errors.split(separator: "\n")
    #expect(warnings.filter { $0.contains("cannot reach the cluster") }.count == 1, "\(ended)")
    #expect(warnings.count == 1 + partitions && warnings.allSatisfy { $0.hasPrefix("kq: warning: ") }, "\(ended)")
  }
}
