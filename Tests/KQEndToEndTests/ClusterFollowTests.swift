import Foundation
import Glibc
import KQTestSupport
import Testing

/// `consume -f --brokers` of several partitions: one long poll per leader covers them all.
@Suite("cluster follow of many partitions", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterFollowTests {
  @Test("a follower of 4 partitions sees a record produced to each of them, in turn, while it waits")
  func followerSeesEveryPartition() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "4")
    let follower = try cluster.start("consume", "t", "-f", "--format", "%p %v\\n")
    for round in 0..<2 {
      for partition in [3, 0, 2, 1] {
        try cluster.ok("produce", "t", "-p", String(partition), stdin: "r\(round)\n")
        #expect(follower.readLine(timeout: 30) == "\(partition) r\(round)")
      }
    }
    follower.signal(SIGINT)
    #expect(try follower.finish().status == 130)
  }
}
