import Foundation
import Glibc
import KQTestSupport
import Testing

/// Transactions on a cluster: what kq reads of transactions other clients wrote (read
/// committed), and `kq pipe --brokers` writing its output and offsets in transactions.
@Suite("transactions on a cluster", .enabled(if: TestPeer.tansu.shouldRun && TestPeer.kafkaPython.shouldRun))
struct ClusterTransactionTests {
  /// kafka-python writes: a committed transaction, plain records, an aborted transaction
  /// (flushed, so its records are in the log), a committed one; then, with a transaction of
  /// another producer left open over records, runs kq consume (ARGV[2]) and prints its output.
  static let transactions = """
    import subprocess, sys
    from kafka import KafkaProducer
    broker, kq = sys.argv[1], sys.argv[2]
    t = KafkaProducer(bootstrap_servers=broker, transactional_id='writer')
    plain = KafkaProducer(bootstrap_servers=broker)
    t.init_transactions()
    t.begin_transaction(); t.send('t', b'committed-1'); t.send('t', b'committed-2'); t.commit_transaction()
    plain.send('t', b'plain-1'); plain.flush()
    t.begin_transaction(); t.send('t', b'aborted-1'); t.send('t', b'aborted-2'); t.flush(); t.abort_transaction()
    t.begin_transaction(); t.send('t', b'committed-3'); t.commit_transaction()
    o = KafkaProducer(bootstrap_servers=broker, transactional_id='open')
    o.init_transactions(); o.begin_transaction(); o.send('t', b'open-1'); o.flush()
    plain.send('t', b'plain-2'); plain.flush()
    print(subprocess.run([kq] + sys.argv[3:], capture_output=True, text=True, check=True).stdout, end='')
    """

  @Test("consume on a cluster reads committed records only: aborted transactions and markers passed over, stops before an open transaction")
  func consumeReadsCommitted() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    let read = try PythonScript.run(
      Self.transactions, [cluster.broker.address, KQProcess.binaryPath, "consume", "t", "--brokers", cluster.broker.address])
    #expect(read == "committed-1\ncommitted-2\nplain-1\ncommitted-3\n")
    // The open transaction's producer is gone with the script; its records stay unreadable
    // (Kafka aborts it at its timeout), and the plain record behind it waits with them.
    #expect(try cluster.ok("consume", "t").output == "committed-1\ncommitted-2\nplain-1\ncommitted-3\n")
  }

  /// Prints every record of topic ARGV[2] (ARGV[3] partitions) that kafka-python reads with
  /// isolation_level=ARGV[4], as 'partition key value', in offset order per partition.
  static let readBack = """
    import sys
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=sys.argv[1], isolation_level=sys.argv[4], enable_auto_commit=False, consumer_timeout_ms=4000)
    parts = [TopicPartition(sys.argv[2], p) for p in range(int(sys.argv[3]))]
    c.assign(parts); c.seek_to_beginning()
    rows = {p: [] for p in range(int(sys.argv[3]))}
    for m in c:
        rows[m.partition].append('%d %s %s' % (m.partition, m.key.decode() if m.key else '-', m.value.decode()))
    for p in sorted(rows): print('\\n'.join(rows[p])) if rows[p] else None
    """

  static func readBack(_ cluster: ClusterTests.Cluster, _ topic: String, partitions: Int, isolation: String = "read_committed")
    throws -> [String]
  {
    try PythonScript.run(Self.readBack, [cluster.broker.address, topic, String(partitions), isolation])
      .split(separator: "\n").map(String.init)
  }

  /// The group's committed offsets of a topic on the cluster, by partition.
  static func committed(_ cluster: ClusterTests.Cluster, _ group: String, topic: String) throws -> [Int64?] {
    let described = try JSON.object(try cluster.ok("group", "describe", group, "--json").output)
    return ((described["partitions"] as? [[String: Any]]) ?? []).filter { $0["topic"] as? String == topic }
      .map { JSON.int($0["committed_offset"]) }
  }

  /// Keyed input over `partitions` partitions: `key<i % keys>` and `value-<i>`, as 'key value' lines.
  static func keyedInput(_ range: Range<Int>, keys: Int = 50) -> String {
    range.map { "k\($0 % keys) value-\($0)\n" }.joined()
  }

  /// What OUT must hold per key, in order: the transformed values of the key's records.
  static func byKey(_ rows: [String]) -> [String: [String]] {
    var keyed: [String: [String]] = [:]
    for row in rows {
      let fields = row.split(separator: " ", maxSplits: 2).map(String.init)
      guard fields.count == 3 else { continue }
      keyed[fields[1], default: []].append(fields[2])
    }
    return keyed
  }

  static func expected(_ range: Range<Int>, keys: Int = 50, transform: (String) -> String) -> [String: [String]] {
    var keyed: [String: [String]] = [:]
    for i in range { keyed["k\(i % keys)", default: []].append(transform("value-\(i)")) }
    return keyed
  }

  @Test("kq pipe --brokers through cat and through tr: kafka-python reading committed records finds each transformed record once, in order per key")
  func pipeThroughFilters() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "in", "--partitions", "3")
    try cluster.ok("topic", "create", "copy", "--partitions", "3")
    try cluster.ok("topic", "create", "upper", "--partitions", "2")
    try cluster.ok("produce", "in", "-K", " ", stdin: Self.keyedInput(0..<3000))
    try cluster.ok("pipe", "in", "copy", "--group", "c", "--json", "--exec", "cat")
    try cluster.ok("pipe", "in", "upper", "--group", "u", "--batch", "700", "--", "tr", "a-z", "A-Z")
    // More input: both go on from their group's offsets.
    try cluster.ok("produce", "in", "-K", " ", stdin: Self.keyedInput(3000..<4000))
    try cluster.ok("pipe", "in", "copy", "--group", "c", "--json", "--exec", "cat")
    try cluster.ok("pipe", "in", "upper", "--group", "u", "--batch", "700", "--", "tr", "a-z", "A-Z")
    let copy = try Self.readBack(cluster, "copy", partitions: 3)
    #expect(copy.count == 4000)
    #expect(Self.byKey(copy) == Self.expected(0..<4000) { $0 })
    // Without -K on the output the values have no key: compare the multiset of values.
    let upper = try Self.readBack(cluster, "upper", partitions: 2)
    #expect(upper.map { $0.split(separator: " ").last.map(String.init) ?? "" }.sorted()
      == (0..<4000).map { "VALUE-\($0)" }.sorted())
    let ends = try JSON.object(try cluster.ok("describe", "in", "--json").output)["partitions"] as? [[String: Any]] ?? []
    #expect(try Self.committed(cluster, "u", topic: "in") == ends.map { JSON.int($0["end_offset"]) } && ends.count == 3)
  }

  @Test("kq pipe --brokers: a command failing at a batch leaves nothing of that batch on OUT, even uncommitted, the offsets before it, and kq exits with its status")
  func commandFails() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "in")
    try cluster.ok("topic", "create", "out")
    try cluster.ok("produce", "in", stdin: (0..<1000).map { "value-\($0)\n" }.joined())
    let failed = try cluster.run("pipe", "in", "out", "--group", "g", "--batch", "100", "--exec", #"awk '/^value-550$/ { exit 3 } { print "x" $0 }'"#)
    #expect(failed.status == 3, "\(failed)")
    #expect(failed.firstErrorLine.contains("offsets 500 to 599; nothing of that batch was written to 'out' nor committed"), "\(failed)")
    let transformed = (0..<1000).map { "0 - xvalue-\($0)" }
    #expect(try Self.readBack(cluster, "out", partitions: 1) == Array(transformed[0..<500]))
    #expect(try Self.readBack(cluster, "out", partitions: 1, isolation: "read_uncommitted") == Array(transformed[0..<500]))
    #expect(try Self.committed(cluster, "g", topic: "in") == [500])
    try cluster.ok("pipe", "in", "out", "--group", "g", "--batch", "100", "--exec", #"awk '{ print "x" $0 }'"#)
    #expect(try Self.readBack(cluster, "out", partitions: 1) == transformed)
  }

  /// Kills and records of the kill test, and its seed: `KQ_CLUSTER_KILLS`,
  /// `KQ_CLUSTER_KILL_RECORDS` and `KQ_KILL_SEED`. Issue 13 asks for 200 kills over 100,000
  /// records: about 4 minutes alone on the shared 2-core machine, run by hand. CI runs 60 kills
  /// over 40,000 records, 72 s alone, to stay within about 3 minutes among the other tests.
  static let clusterKills = ProcessInfo.processInfo.environment["KQ_CLUSTER_KILLS"].flatMap { Int($0) } ?? 60
  static let clusterKillRecords = ProcessInfo.processInfo.environment["KQ_CLUSTER_KILL_RECORDS"].flatMap { Int($0) } ?? 40_000
  static let clusterKillSeed = ProcessInfo.processInfo.environment["KQ_KILL_SEED"].flatMap { UInt64($0) } ?? 13

  /// Two processes of the group run at all times (-f, 1 s sessions, --wait: a process that
  /// joins while killed members still count gets no partition at first): one of them, chosen by
  /// the seed, is killed with -9 once OUT grew by a seeded number of records (markers
  /// count too), inside a transaction, between its records and its commit, or just after it,
  /// during a rebalance or a join, and another is started at once; the survivor follows each
  /// rebalance. Once the kills are done the two left run until the group's offsets reach IN's
  /// ends.
  ///
  /// OUT has a partition per input partition and --keep-partition: each OUT partition is written
  /// by one transactional id only. Tansu 0.6.0 completes an EndTxn only when no transaction of
  /// another id that wrote the same partition is still open (`overlapping_transactions` in its
  /// dynostore): EndTxn answers NONE and the commit marker is written, but the group's offsets
  /// wait; the producer's next AddPartitionsToTxn reopens that state, and the abort of a fenced
  /// holder then drops offsets whose output is committed (records written twice), or, never
  /// completed, holds the last stable offset back for good (records never readable). Kafka
  /// completes every EndTxn; kq's exactly-once is what this test checks, not Tansu's (issue 13).
  ///
  /// kq consume reads OUT back (committed records): Tansu 0.6.0's Fetch lists no aborted
  /// transactions, and kafka-python reading committed records then shows the records of the
  /// transactions the kills aborted too; its read must hold every record, the extras being
  /// copies of real output.
  @Test("kq pipe --brokers, two processes of the group at all times, killed with -9 at random moments: OUT read committed holds the transformed input once, in order per key",
    arguments: [clusterKillSeed])
  func killedAndResumed(seed: UInt64) throws {
    let records = Self.clusterKillRecords
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "in", "--partitions", "4")
    try cluster.ok("topic", "create", "out", "--partitions", "4")
    try cluster.ok("produce", "in", "-K", " ", stdin: Self.keyedInput(0..<records))
    // The JSON envelope keeps each record's key; its input partition is dropped, and
    // --keep-partition puts the output in OUT's partition of that number.
    let filter = #"sed -e 's/"partition":[0-9]*,//' -e 's/value-/VALUE-/'"#
    func pipe() throws -> KQProcess.Running {
      try cluster.start(
        "pipe", "in", "out", "--group", "g", "--batch", "300", "-f", "--wait", "--json", "--keep-partition", "--session-timeout", "1s",
        "--exec", "sleep 0.02; " + filter)
    }
    var random = SeededGenerator(seed: seed)
    var pipes = [try pipe(), try pipe()]
    var kills = 0
    var otherEndings: [String] = []
    // About twice the output over the run's kills (aborted transactions and markers count).
    let most = max(1, 2 * records / max(1, Self.clusterKills))
    for _ in 0..<Self.clusterKills {
      let before = (try? cluster.endOffsetTotal("out")) ?? 0
      let threshold = Int64.random(in: 1...Int64(most), using: &random)
      _ = eventually(timeout: 30) { ((try? cluster.endOffsetTotal("out")) ?? 0) >= before + threshold }
      let victim = Int.random(in: 0..<2, using: &random)
      pipes[victim].signal(SIGKILL)
      let ended = try pipes[victim].finish()
      if ended.status == 137 { kills += 1 } else { otherEndings.append("\(ended)") }
      pipes[victim] = try pipe()
    }
    let ends = try JSON.object(try cluster.ok("describe", "in", "--json").output)["partitions"] as? [[String: Any]] ?? []
    let reachedEnds = eventually(timeout: 120) {
      (try? Self.committed(cluster, "g", topic: "in")) == ends.map { JSON.int($0["end_offset"]) }
    }
    for pipe in pipes {
      pipe.signal(SIGINT)
      let ended = try pipe.finish()
      if ended.status != 130 { otherEndings.append("\(ended)") }
    }
    let read = try JSON.lines(try cluster.ok("consume", "out", "--json").output)
      .map { "\($0["partition"] ?? "") \(JSON.field($0["key"]) ?? "-") \(JSON.field($0["value"]) ?? "")" }
    let expected = Self.expected(0..<records) { $0.uppercased() }
    let got = Self.byKey(read)
    let wrongKeys = expected.keys.filter { got[$0] != expected[$0] }.sorted()
    #expect(reachedEnds, "the group's offsets \((try? Self.committed(cluster, "g", topic: "in")) ?? []) never reached IN's ends \(ends.map { JSON.int($0["end_offset"]) })")
    #expect(read.count == records && wrongKeys.isEmpty, "\(read.count) records; keys out of order, missing or repeated: \(wrongKeys.prefix(5))")
    #expect(kills == Self.clusterKills && otherEndings.isEmpty, "\(kills) kills; other endings: \(otherEndings.prefix(3))")
    let independent = try Self.readBack(cluster, "out", partitions: 4)
    let values = Set(read.map { $0.split(separator: " ").last.map(String.init) ?? "" })
    #expect(independent.count >= records && Set(independent.map { $0.split(separator: " ").last.map(String.init) ?? "" }) == values,
      "kafka-python read \(independent.count) records")
  }

  @Test("a transaction larger than a fetch is read whole: its marker is looked for ahead, fetch after fetch")
  func transactionLargerThanAFetch() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "in")
    try cluster.ok("topic", "create", "out")
    let padding = String(repeating: "p", count: 2000)
    let values = (0..<4000).map { "\($0) \(padding)" }
    try cluster.ok("produce", "in", stdin: values.joined(separator: "\n") + "\n")
    // One transaction of about 8 MB (a fetch asks for 4 MiB): committed at the end only.
    try cluster.ok("pipe", "in", "out", "--group", "g", "--commit-interval", "1h", "--", "cat")
    let read = try cluster.ok("consume", "out").lines
    #expect(read.count == 4000 && read == values)
  }
}
