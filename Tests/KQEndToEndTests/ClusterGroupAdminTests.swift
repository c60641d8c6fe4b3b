import Foundation
import Glibc
import KQTestSupport
import Testing

/// `group reset` and `group describe` through a cluster's coordinator.
@Suite("cluster group reset and describe", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterGroupAdminTests {
  @Test("group reset through the cluster moves where the next consume --group starts")
  func resetMovesTheNextStart() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    try cluster.ok("produce", "t", stdin: "a\nb\nc\nd\ne\n")
    #expect(try cluster.ok("consume", "t", "--group", "g").lines == ["a", "b", "c", "d", "e"])
    let reset = try cluster.ok("group", "reset", "g", "--topic", "t", "--to-offset", "2", "--execute")
    #expect(reset.output == "GROUP  TOPIC  PARTITION  CURRENT-OFFSET  NEW-OFFSET\ng      t      0          5               2\n")
    #expect(try cluster.ok("consume", "t", "--group", "g").lines == ["c", "d", "e"])
    try cluster.ok("group", "reset", "g", "--topic", "t", "--shift-by", "-1", "--execute")
    #expect(try cluster.ok("consume", "t", "--group", "g").lines == ["e"])
  }

  @Test("group reset of a group with a live member is refused with its member count, exit 75 as for a leased partition locally; describe shows the member")
  func activeGroup() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "2")
    try cluster.ok("produce", "t", "-p", "1", stdin: "a\n")
    let follower = try cluster.start("consume", "t", "--group", "g", "-f")
    #expect(follower.readLine() == "a")  // it has joined and owns its partitions

    let refused = try cluster.run("group", "reset", "g", "--topic", "t", "--to-earliest", "--execute")
    #expect(refused.status == 75, "\(refused)")
    #expect(
      refused.firstErrorLine
        == "kq: error: group 'g' has 1 active member; a cluster's group is reset or deleted only while it has none (hint: stop the group's consumers, then run this again)")
    let deleting = try cluster.run("group", "delete", "g")
    #expect(deleting.status == 75 && deleting.firstErrorLine == refused.firstErrorLine, "\(deleting)")
    // Locally a reset while a consumer holds a lease exits 75 too.
    try cluster.kq.ok("produce", "t", "--create", stdin: "x\n")
    let holder = try KQProcess.start(["consume", "t", "--group", "g", "-f"], directory: cluster.kq.path)
    #expect(holder.readLine() == "x")
    #expect(try cluster.kq.run("group", "reset", "g", "--topic", "t", "--to-earliest", "--execute").status == 75)
    holder.signal(SIGINT)
    _ = try holder.finish()

    let described = try JSON.object(try cluster.ok("group", "describe", "g", "--json").output)
    let members = described["members"] as? [[String: Any]] ?? []
    #expect(described["state"] as? String == "Stable" && members.count == 1, "\(described)")
    let memberId = members.first?["member_id"] as? String ?? ""
    #expect(memberId.hasPrefix("kq-"), "\(described)")
    let text = try cluster.ok("group", "describe", "g").output
    #expect(text.contains("\nMEMBER-ID  ") && text.contains("\n" + memberId + "  "), "\(text)")

    follower.signal(SIGINT)
    _ = try follower.finish()
    let empty = try JSON.object(try cluster.ok("group", "describe", "g", "--json").output)
    #expect(empty["state"] as? String == "Empty" && (empty["members"] as? [Any])?.isEmpty == true, "\(empty)")
    #expect(try cluster.ok("group", "reset", "g", "--topic", "t", "--to-earliest", "--execute").status == 0)
    #expect(try cluster.ok("consume", "t", "--group", "g").lines == ["a"])
  }
}
