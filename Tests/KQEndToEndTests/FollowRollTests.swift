import Glibc
import KQTestSupport
import Testing

/// Issue 9, item 1: a follower must never pass an offset it has not read. Small segments make
/// concurrent producers roll often, so the follower's listings race the creation of segments
/// (ext4 may then list a newer segment and not an older one).
@Suite("following rolls")
struct FollowRollTests {
  @Test("a group follower gets every record of concurrent producers rolling small segments, and commits what it read")
  func followerWhileProducersRoll() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "3", "--config", "segment.bytes=4096")
    let follower = try kq.start("consume", "t", "-f", "--group", "G")
    let producers = 4
    let lines = 5000
    let rounds = 3
    var received: [String] = []
    for round in 0..<rounds {
      var script = ""
      for producer in 0..<producers {
        script += "seq -f 'r\(round)p\(producer)-%g' 1 \(lines) | kq produce t & pids=\"$pids $!\"\n"
      }
      script += "for pid in $pids; do wait $pid || exit 1; done\n"
      let produced = try kq.shell(script)
      #expect(produced.status == 0, "\(produced)")
      // Read this round's records as they arrive (the follower may still be behind).
      while received.count < (round + 1) * producers * lines, let line = follower.readLine(timeout: 30) {
        received.append(line)
      }
    }
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130, "\(ended)")
    received = ended.lines  // everything it printed, the lines read above included
    var expected: [String] = []
    for round in 0..<rounds {
      for producer in 0..<producers { expected += (1...lines).map { "r\(round)p\(producer)-\($0)" } }
    }
    #expect(received.count == expected.count)
    #expect(Set(received) == Set(expected), "missing: \(Set(expected).subtracting(received).sorted().prefix(5))")
    let ends = try kq.groupRows("G", topic: "t").map { JSON.int($0["end_offset"]) }
    #expect(try kq.committed("G", topic: "t") == ends)
  }
}
