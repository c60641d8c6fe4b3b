import Foundation
import Glibc
import KQTestSupport
import Testing

/// `kq mirror` between a data directory and a Tansu broker of the test's own.
@Suite("kq mirror against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct MirrorClusterTests {
  @Test("local to cluster to local gives back every record field by field, in its partition and at its offset")
  func roundTrip() throws {
    let cluster = try ClusterTests.Cluster()
    let kq = cluster.kq
    try kq.ok("topic", "create", "orders", "--partitions", "3")
    try kq.ok("produce", "orders", "--json", stdin: MirrorTests.records)
    let url = "kafka://\(cluster.broker.address)/orders"
    let out = try JSON.object(try kq.ok("mirror", "orders", url, "--json").output)
    #expect(JSON.int(out["records"]) == 5 && out["group"] as? String == "kq-mirror.127.0.0.1_\(cluster.broker.port).orders")
    #expect(try cluster.ok("describe", "orders", "--json").output.contains(#""partition":2"#))
    let back = try JSON.object(try kq.ok("mirror", url, "back", "--json").output)
    #expect(JSON.int(back["records"]) == 5)
    #expect(try kq.records("back").map(MirrorTests.fields) == kq.records("orders").map(MirrorTests.fields))
    // Nothing new: both runs resume at their group's offsets and copy nothing.
    #expect(JSON.int(try JSON.object(try kq.ok("mirror", "orders", url, "--json").output)["records"]) == 0)
    #expect(JSON.int(try JSON.object(try kq.ok("mirror", url, "back", "--json").output)["records"]) == 0)
    #expect(try kq.records("back").count == 5)
  }

  @Test(
    "kafka-python reads the cluster copy with the source's keys, values, headers, timestamps, partitions and offsets",
    .enabled(if: TestPeer.kafkaPython.shouldRun))
  func kafkaPythonReadsTheCopy() throws {
    let cluster = try ClusterTests.Cluster()
    let kq = cluster.kq
    try kq.ok("topic", "create", "t", "--partitions", "3")
    let input = (0..<12).map {
      #"{"key":"key\#($0)","value":"value\#($0)","headers":[["h","v\#($0)"]],"timestamp":\#(1_700_000_000_000 + $0),"partition":\#($0 % 3)}"#
    }
    try kq.ok("produce", "t", "--json", stdin: input.joined(separator: "\n") + "\n")
    try kq.ok("mirror", "t", "kafka://\(cluster.broker.address)/t")
    let expected = try kq.records("t").map(ClusterInteropTests.line).sorted()
    let read = try ClusterInteropTests.python(ClusterInteropTests.dump, [cluster.broker.address, "12"])
    #expect(read.split(separator: "\n").map(String.init) == expected && expected.count == 12)
  }

  @Test("kill -9 at any moment and a rerun: every record reaches the cluster at least once, in order, repeats only a replayed stretch")
  func killedAndResumed() throws {
    let cluster = try ClusterTests.Cluster()
    let kq = cluster.kq
    try kq.ok("topic", "create", "big", "--partitions", "3")
    let url = "kafka://\(cluster.broker.address)/big"
    let padding = String(repeating: "x", count: 60)
    var expected: [[String]] = [[], [], []]
    for round in 0..<3 {
      for partition in 0..<3 {
        let values = (0..<20_000).map { "\(round)-\(partition)-\($0)-\(padding)" }
        try kq.ok("produce", "big", "-p", String(partition), stdin: values.joined(separator: "\n") + "\n")
        expected[partition] += values
      }
      let copiedBefore = (try? cluster.endOffsetTotal("big")) ?? 0
      let mirror = try kq.start("mirror", "big", url, "-f")
      // Killed as soon as DST grew: between its acknowledgement and the group's commit (a
      // second apart at most), unless the copy caught up and committed first.
      #expect(eventually(timeout: 60) { ((try? cluster.endOffsetTotal("big")) ?? 0) > copiedBefore })
      mirror.signal(SIGKILL)
      #expect(try mirror.finish().status == 137)
    }
    try kq.ok("mirror", "big", url)
    for partition in 0..<3 {
      let copied = try cluster.ok("consume", "big", "-p", String(partition)).lines
      let place = Dictionary(uniqueKeysWithValues: expected[partition].enumerated().map { ($1, $0) })
      // The copy is the source in stretches, each going on from the one before or replaying
      // its end: at most one replay per kill, and nothing skipped.
      var previous = -1
      var reached = -1
      var replays = 0
      var repeated = 0
      for value in copied {
        guard let index = place[value] else { Issue.record("not a source record: \(value)"); break }
        #expect(index == previous + 1 || index <= previous, "partition \(partition): \(index) after \(previous)")
        if index <= previous { replays += 1 }
        if index <= reached { repeated += 1 }
        previous = index
        reached = max(reached, index)
      }
      #expect(reached == expected[partition].count - 1, "partition \(partition): copy ends at \(reached)")
      #expect(replays <= 3, "partition \(partition): \(replays) replays (\(repeated) records) after 3 kills")
    }
  }

}

extension ClusterTests.Cluster {
  /// The end offsets of a topic on the cluster, over all partitions.
  func endOffsetTotal(_ topic: String) throws -> Int64 {
    let described = try JSON.object(try ok("describe", topic, "--json").output)
    return ((described["partitions"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (JSON.int($1["end_offset"]) ?? 0) }
  }
}
