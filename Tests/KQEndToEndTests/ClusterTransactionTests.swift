import Foundation
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
}
