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

  /// OUT has a partition per input partition and --keep-partition: each OUT partition is written
  /// by one transactional id only. Tansu 0.6.0 completes an EndTxn only when no transaction of
  /// another id that wrote the same partition is still open (`overlapping_transactions` in its
  /// dynostore): EndTxn answers NONE and the commit marker is written, but the group's offsets
  /// wait; the producer's next AddPartitionsToTxn reopens that state, and the abort of a fenced
  /// holder then drops offsets whose output is committed (records written twice), or, never
  /// completed, holds the last stable offset back for good (records never readable). Kafka
  /// completes every EndTxn; kq's exactly-once is what this test checks, not Tansu's (issue 13).
  @Test("kq pipe --brokers, two processes of the group killed with -9 at random moments, then run to the end: OUT read committed holds the transformed input once, in order per key",
    arguments: [UInt64(13)])
  func killedAndResumed(seed: UInt64) throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "in", "--partitions", "3")
    try cluster.ok("topic", "create", "out", "--partitions", "3")
    try cluster.ok("produce", "in", "-K", " ", stdin: Self.keyedInput(0..<20_000))
    // The JSON envelope keeps each record's key; its input partition is dropped, and
    // --keep-partition puts the output in OUT's partition of that number.
    let filter = #"sed -e 's/"partition":[0-9]*,//' -e 's/value-/VALUE-/'"#
    var random = SeededGenerator(seed: seed)
    var kills = 0
    // Three rounds of two processes: after a kill -9 the group waits out the dead members'
    // session (6 s) before the next round's members get partitions.
    for _ in 0..<3 {
      let before = (try? cluster.endOffsetTotal("out")) ?? 0
      let threshold = Int64.random(in: 1...5000, using: &random)
      let pipes = try (0..<2).map { _ in
        try cluster.start(
          "pipe", "in", "out", "--group", "g", "--batch", "300", "-f", "--json", "--keep-partition", "--exec", "sleep 0.02; " + filter)
      }
      // Killed once OUT grew by a seeded number of records (markers count too): inside a
      // transaction, between its records and its commit, or just after it.
      _ = eventually(timeout: 30) { ((try? cluster.endOffsetTotal("out")) ?? 0) >= before + threshold }
      for pipe in pipes { pipe.signal(SIGKILL) }
      for pipe in pipes where try pipe.finish().status == 137 { kills += 1 }
    }
    // Run to the end until the group's offsets reach IN's ends: a killed member stays in the
    // group until its session ends, and a run that joins before then gets only part of IN (and
    // ends when that part is done, as a cron run would); the next run takes the rest.
    let ends = try JSON.object(try cluster.ok("describe", "in", "--json").output)["partitions"] as? [[String: Any]] ?? []
    var runs = 0
    repeat {
      try cluster.ok("pipe", "in", "out", "--group", "g", "--batch", "300", "--json", "--keep-partition", "--exec", filter)
      runs += 1
    } while try Self.committed(cluster, "g", topic: "in") != ends.map({ JSON.int($0["end_offset"]) }) && runs < 5
    let read = try JSON.lines(try cluster.ok("consume", "out", "--json").output)
      .map { "\($0["partition"] ?? "") \(JSON.field($0["key"]) ?? "-") \(JSON.field($0["value"]) ?? "")" }
    let expected = Self.expected(0..<20_000) { $0.uppercased() }
    let got = Self.byKey(read)
    let wrongKeys = expected.keys.filter { got[$0] != expected[$0] }.sorted()
    #expect(read.count == 20_000 && wrongKeys.isEmpty, "\(read.count) records; keys out of order, missing or repeated: \(wrongKeys.prefix(5)); \(runs) final runs, committed \((try? Self.committed(cluster, "g", topic: "in")) ?? []), ends \(ends.map { JSON.int($0["end_offset"]) })")
    #expect(kills == 6)
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
