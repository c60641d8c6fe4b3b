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
    let group = "kq-mirror.127.0.0.1_\(cluster.broker.port).big"
    let padding = String(repeating: "x", count: 60)
    var expected: [[String]] = [[], [], []]
    var killedWhileCopying = 0
    for round in 0..<3 {
      for partition in 0..<3 {
        let values = (0..<20_000).map { "\(round)-\(partition)-\($0)-\(padding)" }
        try kq.ok("produce", "big", "-p", String(partition), stdin: values.joined(separator: "\n") + "\n")
        expected[partition] += values
      }
      let before = try committedTotal(kq, group: group)
      let mirror = try kq.start("mirror", "big", url, "-f")
      #expect(eventually(timeout: 60) { ((try? committedTotal(kq, group: group)) ?? 0) > before })
      // Then, when it can be caught there, between DST's acknowledgement and the commit.
      let total = Int64(expected.map(\.count).reduce(0, +))
      _ = eventually(timeout: 60) {
        let committed = (try? committedTotal(kq, group: group)) ?? 0
        return committed == total || ((try? cluster.endOffsetTotal("big")) ?? 0) > committed
      }
      if try committedTotal(kq, group: group) < total { killedWhileCopying += 1 }
      mirror.signal(SIGKILL)
      #expect(try mirror.finish().status == 137)
    }
    try kq.ok("mirror", "big", url)
    var repeatedTotal = 0
    for partition in 0..<3 {
      let copied = try cluster.ok("consume", "big", "-p", String(partition)).lines
      let place = Dictionary(uniqueKeysWithValues: expected[partition].enumerated().map { ($1, $0) })
      var reached = -1
      var repeated = 0
      for value in copied {
        guard let index = place[value] else { Issue.record("not a source record: \(value)"); break }
        #expect(index <= reached + 1, "partition \(partition): record \(reached + 1) missing before \(index)")
        if index <= reached { repeated += 1 }
        reached = max(reached, index)
      }
      #expect(reached == expected[partition].count - 1, "partition \(partition): copy ends at \(reached)")
      repeatedTotal += repeated
    }
    // A kill repeats at most the last flush: 1 MiB of records over all partitions, plus the
    // source batch that took it past (a record here is about 80 bytes in a batch).
    #expect(repeatedTotal <= 3 * (2 << 20) / 80, "\(repeatedTotal) records repeated after \(killedWhileCopying) kills while copying")
  }

  /// The group's commits on the source, over all partitions (0 before its first commit).
  func committedTotal(_ kq: KQSandbox, group: String) throws -> Int64 {
    let result = try kq.run(["group", "describe", group, "--json"], stdin: [])
    guard result.status == 0 else { return 0 }
    let rows = (try JSON.object(result.output)["partitions"] as? [[String: Any]]) ?? []
    return rows.reduce(0) { $0 + (JSON.int($1["committed_offset"]) ?? 0) }
  }
}

extension ClusterTests.Cluster {
  /// The end offsets of a topic on the cluster, over all partitions.
  func endOffsetTotal(_ topic: String) throws -> Int64 {
    let described = try JSON.object(try ok("describe", topic, "--json").output)
    return ((described["partitions"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (JSON.int($1["end_offset"]) ?? 0) }
  }
}
