import Foundation
import KQTestSupport
import Testing

/// confluent-kafka (librdkafka, C, under Python bindings), a second independent client beside
/// kafka-python: it reads what `kq produce --brokers` wrote, and kq reads what it wrote, with
/// the same keys, values, headers, timestamps and partitions. Its default partitioner is
/// CRC-32, so its producer is set to `murmur2_random` (Java's: murmur2 for keys), kq's.
@Suite(
  "cluster mode with confluent-kafka",
  .enabled(if: TestPeer.tansu.shouldRun && TestPeer.confluentKafka.shouldRun))
struct ClusterConfluentTests {
  /// Prints every record of topic `t`'s 3 partitions (ARGV[2] of them) as
  /// "PARTITION OFFSET KEY VALUE HEADERS TIMESTAMP", sorted; null key or value as `null`.
  static let dump = """
    import sys, time
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'confluent-dump', 'enable.auto.commit': False})
    c.assign([TopicPartition('t', p, OFFSET_BEGINNING) for p in range(3)])
    def s(b): return 'null' if b is None else b.decode()
    rows, deadline = [], time.monotonic() + 30
    while len(rows) < int(sys.argv[2]) and time.monotonic() < deadline:
        for m in c.consume(num_messages=100, timeout=1.0):
            if m.error(): sys.exit(str(m.error()))
            headers = ';'.join('%s=%s' % (k, s(v)) for k, v in (m.headers() or []))
            rows.append('%d %d %s %s %s %d' % (m.partition(), m.offset(), s(m.key()), s(m.value()), headers, m.timestamp()[1]))
    c.close()
    print('\\n'.join(sorted(rows)))
    """

  /// Produces 12 keyed records with a header and a timestamp each, and one without a key,
  /// value or header (partition 2), into topic `t`; murmur2 for the keys, as kq's.
  static let write = """
    import sys
    from confluent_kafka import Producer
    p = Producer({'bootstrap.servers': sys.argv[1], 'partitioner': 'murmur2_random', 'linger.ms': 20})
    for i in range(12):
        p.produce('t', key=('key%d' % i).encode(), value=('value%d' % i).encode(), headers=[('h', b'v%d' % i)], timestamp=1700000000000 + i)
    p.produce('t', value=None, partition=2, timestamp=1700000000100)
    if p.flush(30): sys.exit('not all delivered')
    """

  @Test("confluent-kafka reads what kq produced to the cluster, field for field and partition for partition")
  func confluentReadsKq() throws {
    let cluster = try ClusterTests.Cluster()
    try TestPeer.confluentKafka.require()
    try cluster.ok("topic", "create", "t", "--partitions", "3")
    var input = (0..<12).map {
      #"{"key":"key\#($0)","value":"value\#($0)","headers":[["h","v\#($0)"],["n",null]],"timestamp":\#(1_700_000_000_000 + $0)}"#
    }
    input.append(#"{"key":null,"value":null,"partition":2,"timestamp":1700000000100}"#)
    try cluster.ok("produce", "t", "--json", stdin: input.joined(separator: "\n") + "\n")
    let expected = try JSON.lines(try cluster.ok("consume", "t", "--json").output).map(ClusterInteropTests.line).sorted()
    let read = try PythonScript.run(Self.dump, [cluster.broker.address, "13"]).split(separator: "\n").map(String.init)
    #expect(read == expected && expected.count == 13, "\(read)\n\(expected)")
  }

  @Test("kq reads what confluent-kafka produced to the cluster, keyed records in the partitions kq's murmur2 chooses")
  func kqReadsConfluent() throws {
    let cluster = try ClusterTests.Cluster()
    try TestPeer.confluentKafka.require()
    try cluster.ok("topic", "create", "t", "--partitions", "3")
    _ = try PythonScript.run(Self.write, [cluster.broker.address])
    let read = try JSON.lines(try cluster.ok("consume", "t", "--json").output)
    #expect(read.count == 13)
    let keyed = read.filter { !JSON.isNull($0["key"]) }
    try cluster.kq.ok("topic", "create", "t", "--partitions", "3")
    let input = (0..<12).map { #"{"key":"key\#($0)","value":"value\#($0)"}"# }.joined(separator: "\n") + "\n"
    try cluster.kq.ok("produce", "t", "--json", stdin: input)
    let partitionOf = { (records: [[String: Any]]) in
      Dictionary(uniqueKeysWithValues: records.map { (JSON.field($0["key"]) ?? "", JSON.int($0["partition"]) ?? -1) })
    }
    #expect(partitionOf(keyed) == partitionOf(try cluster.kq.records("t")))
    #expect(
      Set(keyed.map { "\(JSON.field($0["value"]) ?? "") \(JSON.headers($0["headers"])) \(JSON.int($0["timestamp"]) ?? 0)" })
        == Set((0..<12).map { "value\($0) \([["h", "v\($0)"]] as [[String?]]) \(1_700_000_000_000 + $0)" }))
    let bare = read.filter { JSON.isNull($0["key"]) }
    #expect(bare.count == 1 && bare.allSatisfy { JSON.isNull($0["value"]) && JSON.headers($0["headers"]).isEmpty })
    #expect(bare.map { "\(JSON.int($0["partition"]) ?? -1) \(JSON.int($0["timestamp"]) ?? -1)" } == ["2 1700000000100"])
  }
}
