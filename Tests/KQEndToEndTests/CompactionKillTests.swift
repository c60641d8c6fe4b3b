import Foundation
import Glibc
import KQTestSupport
import Testing
import KQLog

/// kill -9 at random moments of `kq topic compact` while producers and a follower run: nothing
/// lost (every key's last value stays), nothing duplicated (offsets only grow, each value read
/// once), and the topic verifies clean.
@Suite("compaction under kill -9", .localOnly("kq topic compact is a data directory's own command"))
struct CompactionKillTests {
  @Test("kq topic compact killed at random beside producers and a follower loses and repeats nothing")
  func compactKilledAtRandom() throws {
    let environment = ProcessInfo.processInfo.environment
    let seed = environment["KQ_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64(UInt32.max))
    var random = SeededGenerator(seed: seed)
    let kq = try KQSandbox()
    try kq.ok(
      "topic", "create", "users", "--config", "cleanup.policy=compact", "--config", "segment.bytes=2KiB",
      "--config", "min.cleanable.dirty.ratio=0.3")
    let follower = try kq.start("consume", "users", "-f", "--format", "%o %k %s\\n")
    var last: [String: String] = [:]
    var killed = 0
    for round in 0..<30 {
      let lines = (0..<Int.random(in: 20...120, using: &random)).map { index in
        "k\(Int.random(in: 0..<12, using: &random)):r\(round)-\(index)-" + String(repeating: "x", count: index % 40)
      }
      let producer = try kq.start("produce", "users", "-K:", "--sync", "none")
      producer.write(lines.joined(separator: "\n") + "\n")
      producer.closeInput()
      let compactor = try kq.start("topic", "compact", "users")
      if Bool.random(using: &random) {
        usleep(UInt32.random(in: 0...20_000, using: &random))
        compactor.signal(SIGKILL)
      }
      let compacted = try compactor.finish(timeout: 60)
      if compacted.status == 128 + SIGKILL { killed += 1 } else {
        #expect(compacted.status == 0, "seed \(seed): \(compacted)")
      }
      #expect(try producer.finish(timeout: 60).status == 0, "seed \(seed)")
      for line in lines {
        let parts = line.split(separator: ":", maxSplits: 1)
        last[String(parts[0])] = String(parts[1])
      }
    }
    try kq.ok("produce", "users", "-K:", stdin: "end:end\n")
    // The follower read every append once, in offset order, up to the last.
    var seen: [String: String] = [:]
    var previous: Int64 = -1
    var values = Set<String>()
    while let line = follower.readLine(timeout: 60) {
      let fields = line.split(separator: " ", maxSplits: 2).map(String.init)
      guard fields.count == 3, let offset = Int64(fields[0]) else {
        Issue.record("seed \(seed): follower printed '\(line)'")
        break
      }
      #expect(offset > previous, "seed \(seed): offset \(offset) after \(previous)")
      #expect(values.insert(fields[2]).inserted, "seed \(seed): \(fields[2]) read twice")
      previous = offset
      seen[fields[1]] = fields[2]
      if fields[1] == "end" { break }
    }
    follower.signal(SIGTERM)
    _ = try follower.finish(timeout: 30)
    last["end"] = "end"
    #expect(seen == last, "seed \(seed): the follower's last value of each key")
    // The table view holds exactly each key's last value, and verify finds nothing.
    try kq.ok("topic", "compact", "users")
    let table = try kq.ok("consume", "users", "--table", "--format", "%k:%s\\n").lines
    #expect(Dictionary(uniqueKeysWithValues: table.map { line in
      let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
      return (parts[0], parts.count > 1 ? parts[1] : "")
    }) == last, "seed \(seed)")
    let verify = try kq.run("verify")
    #expect(verify.status == 0, "seed \(seed): \(verify)")
    print("compaction kill test: seed \(seed), \(killed) of 30 compactions killed")
  }
}
