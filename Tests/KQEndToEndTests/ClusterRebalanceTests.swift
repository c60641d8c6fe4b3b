import Foundation
import Glibc
import KQTestSupport
import Testing

/// `consume --group G -f --brokers` follows the group's rebalances: partitions split with a
/// member that joins, come back when it leaves or is killed, and nothing is lost on the way.
@Suite("cluster groups follow rebalances", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterRebalanceTests {
  /// A kafka-python member of group g on topic t: prints "assigned P,Q" at each assignment and
  /// "P VALUE" per record, commits after each poll, and leaves the group when stdin closes.
  static let pythonMember = """
    import sys, threading
    from kafka import KafkaConsumer, ConsumerRebalanceListener
    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked): pass
        def on_partitions_assigned(self, assigned):
            print('assigned ' + ','.join(str(p) for p in sorted(tp.partition for tp in assigned)), flush=True)
    c = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id='g', enable_auto_commit=False,
                      auto_offset_reset='earliest', session_timeout_ms=6000, heartbeat_interval_ms=1000)
    c.subscribe(['t'], listener=Listener())
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    while not done.is_set():
        batch = c.poll(timeout_ms=200)
        for records in batch.values():
            for m in records: print('%d %s' % (m.partition, m.value.decode()), flush=True)
        if batch: c.commit()
    c.close()
    print('closed', flush=True)
    """

  /// Reads "P VALUE" lines from members until every value in `expected` was seen by one of
  /// them; returns what each read (other lines, such as "assigned", are returned too).
  static func read(until expected: Set<String>, from members: [KQProcess.Running], seen: inout [[String]]) -> Bool {
    let deadline = Date().addingTimeInterval(90)
    var missing = expected.subtracting(seen.joined().map(Self.value))
    while !missing.isEmpty && Date() < deadline {
      for (index, member) in members.enumerated() {
        while let line = member.readLine(timeout: 0.05) {
          seen[index].append(line)
          missing.remove(Self.value(line))
        }
      }
    }
    return missing.isEmpty
  }

  static func value(_ line: String) -> String { String(line.split(separator: " ", maxSplits: 1).last ?? "") }

  /// Ten records to each of 4 partitions: "PHASE-P-I".
  static func produce(_ cluster: ClusterTests.Cluster, phase: String) throws -> Set<String> {
    var values: Set<String> = []
    for partition in 0..<4 {
      let lines = (0..<10).map { "\(phase)-\(partition)-\($0)" }
      try cluster.ok("produce", "t", "-p", String(partition), stdin: lines.map { $0 + "\n" }.joined())
      values.formUnion(lines)
    }
    return values
  }

  @Test(
    "a kq member and a kafka-python member split the partitions, and across the join and the leave every record is read",
    .enabled(if: TestPeer.kafkaPython.shouldRun))
  func splitWithKafkaPython() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "4")
    let kq = try cluster.start("consume", "t", "--group", "g", "-f", "--format", "%p %v\\n")
    var seen: [[String]] = [[], []]
    let first = try Self.produce(cluster, phase: "one")
    #expect(Self.read(until: first, from: [kq], seen: &seen), "kq read \(seen[0].count) of \(first.count)")

    let python = try PythonScript.start(Self.pythonMember, [cluster.broker.address])
    defer { python.closeInput() }
    // The group settles with both members: kafka-python's share is part of the partitions.
    var pythonShare: [String] = []
    let settle = Date().addingTimeInterval(90)
    while Date() < settle, let line = python.readLine(timeout: 1) ?? (python.process.isRunning ? "" : nil) {
      if line.hasPrefix("assigned ") {
        pythonShare = line.dropFirst("assigned ".count).split(separator: ",").map(String.init)
        if (1...3).contains(pythonShare.count) { break }
      } else if !line.isEmpty {
        seen[1].append(line)
      }
    }
    #expect((1...3).contains(pythonShare.count), "kafka-python was assigned \(pythonShare)")

    let second = try Self.produce(cluster, phase: "two")
    #expect(Self.read(until: second, from: [kq, python], seen: &seen), "read \(seen)")
    let pythonRead = Set(seen[1].filter { !$0.hasPrefix("assigned") && Self.value($0).hasPrefix("two-") }.map { String($0.prefix(1)) })
    let kqRead = Set(seen[0].filter { Self.value($0).hasPrefix("two-") }.map { String($0.prefix(1)) })
    #expect(pythonRead == Set(pythonShare) && kqRead.isDisjoint(with: pythonRead) && kqRead.union(pythonRead).count == 4,
      "kafka-python read partitions \(pythonRead.sorted()), kq \(kqRead.sorted())")

    // kafka-python leaves: kq takes its partitions back, from kafka-python's commits.
    python.closeInput()
    while let line = python.readLine(timeout: 30), line != "closed" { seen[1].append(line) }
    let third = try Self.produce(cluster, phase: "three")
    #expect(Self.read(until: third, from: [kq], seen: &seen), "kq read \(seen[0])")
    let thirdRead = seen[0].map(Self.value).filter { $0.hasPrefix("three-") }
    #expect(thirdRead.count == third.count, "records produced after the rebalance are read once: \(thirdRead.sorted())")
    #expect(first.union(second).isSubset(of: Set(seen.joined().map(Self.value))))
    kq.signal(SIGINT)
    let ended = try kq.finish()
    #expect(ended.status == 130 || ended.status == 0, "\(ended)")
  }

  /// A 2 s session (Tansu keeps the session timeout of the join that formed the group): the
  /// survivor hears of the rebalance 2 s after the kill, not 6 s.
  @Test("a kq member killed with -9 loses its partitions to the other member after the session timeout")
  func killedMemberPartitionsMove() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "4")
    let survivor = try cluster.start("consume", "t", "--group", "g", "-f", "--format", "%p %v\\n", "--session-timeout", "2s")
    var seen: [[String]] = [[], []]
    let first = try Self.produce(cluster, phase: "one")
    #expect(Self.read(until: first, from: [survivor], seen: &seen))

    let victim = try cluster.start("consume", "t", "--group", "g", "-f", "--format", "%p %v\\n", "--session-timeout", "2s")
    // Rounds of one record per partition until the second member has read some: it owns
    // partitions then.
    var probes: Set<String> = []
    for round in 0..<60 where seen[1].isEmpty {
      for partition in 0..<4 {
        try cluster.ok("produce", "t", "-p", String(partition), stdin: "probe\(round)-\(partition)\n")
        probes.insert("probe\(round)-\(partition)")
      }
      _ = Self.read(until: probes, from: [survivor, victim], seen: &seen)
    }
    let victimShare = Set(seen[1].map { String($0.prefix(1)) })
    #expect((1...3).contains(victimShare.count), "the second member read partitions \(victimShare.sorted())")

    victim.signal(SIGKILL)
    _ = try victim.finish()
    let after = try Self.produce(cluster, phase: "after")
    #expect(Self.read(until: after, from: [survivor], seen: &seen), "the survivor read \(seen[0].count) lines")
    let survivorAfter = Set(seen[0].filter { Self.value($0).hasPrefix("after-") }.map { String($0.prefix(1)) })
    #expect(survivorAfter == ["0", "1", "2", "3"])
    #expect(first.union(probes).isSubset(of: Set(seen.joined().map(Self.value))))
    survivor.signal(SIGINT)
    _ = try survivor.finish()
  }

  @Test("consume --group --exec follows a rebalance: batches of the partitions it owns in each generation, nothing lost")
  func execFollowsRebalance() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "4")
    let directory = try TemporaryDirectory("kq-exec-rebalance")
    let output = directory.at("loaded")
    let loader = try cluster.start("consume", "t", "--group", "g", "-f", "--format", "%p %v\\n", "--exec", "cat >> '\(output)'")
    func loaded() -> [String] {
      ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
    func waitForLoaded(_ expected: Set<String>) -> Bool {
      let deadline = Date().addingTimeInterval(90)
      while Date() < deadline {
        if expected.isSubset(of: Set(loaded().map(Self.value))) { return true }
        usleep(50_000)
      }
      return false
    }
    let first = try Self.produce(cluster, phase: "one")
    #expect(waitForLoaded(first))

    // A second member takes part of the partitions, reads, and leaves with Ctrl-C.
    let reader = try cluster.start("consume", "t", "--group", "g", "-f", "--format", "%p %v\\n")
    var seen: [[String]] = [[]]
    var probes: Set<String> = []
    for round in 0..<60 where seen[0].isEmpty {
      for partition in 0..<4 {
        try cluster.ok("produce", "t", "-p", String(partition), stdin: "probe\(round)-\(partition)\n")
        probes.insert("probe\(round)-\(partition)")
      }
      let deadline = Date().addingTimeInterval(3)
      while Date() < deadline && !probes.isSubset(of: Set(loaded().map(Self.value) + seen[0].map(Self.value))) {
        if let line = reader.readLine(timeout: 0.05) { seen[0].append(line) }
      }
    }
    #expect(!seen[0].isEmpty, "the second member never owned a partition")
    reader.signal(SIGINT)
    seen[0] += try reader.finish().output.split(separator: "\n").map(String.init)

    let after = try Self.produce(cluster, phase: "after")
    #expect(waitForLoaded(after), "loaded: \(loaded().count) lines")
    #expect(first.union(probes).isSubset(of: Set(loaded().map(Self.value) + seen[0].map(Self.value))))
    loader.signal(SIGINT)
    let ended = try loader.finish()
    #expect(ended.status == 130 || ended.status == 0, "\(ended)")
  }

  @Test("consume --group --wait on a cluster stays in the group while others own every partition, and reads once one is given to it")
  func waitForAPartition() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    try cluster.ok("produce", "t", stdin: "first\n")
    let owner = try cluster.start("consume", "t", "--group", "g", "-f")
    #expect(owner.readLine() == "first")
    let waiting = try cluster.start("consume", "t", "--group", "g", "-f", "--wait")
    // It has joined when the group is stable with two members (Tansu 0.6.0 never answers a
    // SyncGroup whose leader left during the rebalance, so the owner stops only after it).
    var settled = false
    for _ in 0..<200 where !settled {
      let described = try JSON.object(try cluster.ok("group", "describe", "g", "--json").output)
      settled = described["state"] as? String == "Stable" && (described["members"] as? [Any])?.count == 2
      if !settled { usleep(100_000) }
    }
    #expect(settled)
    owner.signal(SIGINT)
    _ = try owner.finish()
    try cluster.ok("produce", "t", stdin: "second\n")
    #expect(waiting.readLine(timeout: 60) == "second")
    waiting.signal(SIGINT)
    let waited = try waiting.finish()
    #expect(waited.status == 130, "\(waited)")
  }
}
