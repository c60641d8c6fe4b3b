import Foundation
import Glibc
import KQTestSupport
import Testing

/// `--brokers` / `$KQ_BROKERS`: the same commands against a Tansu broker of the test's own,
/// checked against what the same commands do on a data directory.
@Suite("cluster mode against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterTests {
  /// A broker, and a sandbox whose kq processes reach it through `$KQ_BROKERS`.
  final class Cluster {
    let broker: TansuBroker
    let kq: KQSandbox
    var environment: [String: String] { ["KQ_BROKERS": broker.address] }

    init(authentication: Bool = false) throws {
      _ = try TestPeer.tansu.require()
      broker = try TansuBroker(authentication: authentication)
      kq = try KQSandbox()
    }

    @discardableResult
    func run(_ arguments: String..., stdin: String = "") throws -> KQProcess.Result {
      try kq.run(arguments, stdin: Array(stdin.utf8), environment: environment)
    }

    @discardableResult
    func ok(_ arguments: String..., stdin: String = "") throws -> KQProcess.Result {
      try kq.run(arguments, stdin: Array(stdin.utf8), environment: environment).checked()
    }

    func start(_ arguments: String...) throws -> KQProcess.Running {
      try KQProcess.start(arguments, directory: kq.path, environment: environment)
    }
  }

  /// A record as `consume --json` shows it, without the timestamp when the input gave none.
  static func fields(_ record: [String: Any], timestamp: Bool) -> String {
    var text = "\(record["partition"] ?? "") \(record["offset"] ?? "") \(JSON.field(record["key"]) ?? "null") "
      + "\(JSON.field(record["value"]) ?? "null") \(JSON.headers(record["headers"]))"
    if timestamp { text += " \(record["timestamp"] ?? "")" }
    return text
  }

  @Test("topics are created, listed, described and deleted as on a data directory")
  func topicLifecycle() throws {
    let cluster = try Cluster()
    #expect(try cluster.ok("topic", "create", "events", "--partitions", "3").output == "created topic events with 3 partitions\n")
    try cluster.ok("topic", "create", "logs")
    #expect(try cluster.ok("topic", "list").output == "events\nlogs\n")
    let again = try cluster.run("topic", "create", "events")
    try cluster.kq.ok("topic", "create", "events")
    let localAgain = try cluster.kq.run("topic", "create", "events")
    #expect(again.status == localAgain.status && again.firstErrorLine == localAgain.firstErrorLine, "\(again)")
    let described = try JSON.object(try cluster.ok("describe", "events", "--json").output)
    let partitions = described["partitions"] as? [[String: Any]] ?? []
    #expect(partitions.map { JSON.int($0["partition"]) } == [0, 1, 2])
    for partition in partitions {
      let leader = JSON.int(partition["leader"])
      #expect(leader != nil && (partition["replicas"] as? [Any])?.count == 1 && (partition["isr"] as? [Any])?.count == 1)
      #expect(JSON.int(partition["end_offset"]) == 0)
    }
    #expect(try cluster.ok("topic", "delete", "events").output == "deleted topic events\n")
    #expect(try cluster.ok("topic", "list").output == "logs\n")
    let missing = try cluster.run("topic", "delete", "events")
    let localMissing = try cluster.kq.run("topic", "delete", "nothing-here")
    #expect(missing.status == localMissing.status && missing.status == 66, "\(missing)")
    #expect(missing.firstErrorLine == "kq: error: topic 'events' does not exist (hint: create it with 'kq topic create events', or produce with --create)")
  }

  @Test("produce of every framing stores what a data directory stores: partitions by murmur2, offsets, keys, values, headers, timestamps", arguments: [
    (["-K", "\t"], "a\tx\nb\ty\nc\tz\n\tempty key\nd\t\n"),
    (["-0"], "one\0two\0three\0"),
    ([], "first\nsecond\nthird\nfourth\n"),
    (["--json"], #"""
      {"key":"k1","value":"v1","headers":[["h","x"],["n",null]],"timestamp":1700000000000}
      {"key":null,"value":"v2","timestamp":1700000000001,"partition":2}
      {"key":{"base64":"AP8="},"value":{"base64":"AQI="},"timestamp":1700000000002}
      {"value":null,"key":"tomb","timestamp":1700000000003}

      """#),
  ])
  func produceMatchesLocal(flags: [String], input: String) throws {
    let cluster = try Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "3")
    try cluster.kq.ok("topic", "create", "t", "--partitions", "3")
    let remote = try cluster.kq.run(["produce", "t", "--print-offsets"] + flags, stdin: Array(input.utf8), environment: cluster.environment)
    let local = try cluster.kq.run(["produce", "t", "--print-offsets"] + flags, stdin: Array(input.utf8))
    #expect(remote.status == 0 && remote.errors == local.errors, "\(remote)\n\(local)")
    // Records without a key go to one partition a process picks (its pid, as locally): only
    // keyed records must land in the same partitions, at the same offsets, in both.
    let keyed = flags != [] && flags != ["-0"]
    let place = { (lines: [String]) in keyed ? lines : lines.map { _ in "P O" } }
    #expect(place(remote.lines) == place(local.lines), "\(remote)\n\(local)")
    let withTimestamps = flags == ["--json"]
    let remoteRecords = try JSON.lines(try cluster.ok("consume", "t", "--json").output)
    let localRecords = try cluster.kq.records("t")
    #expect(remoteRecords.count == localRecords.count && !remoteRecords.isEmpty)
    let fields = { (record: [String: Any]) in
      keyed ? Self.fields(record, timestamp: withTimestamps) : "\(JSON.int(record["offset"]) ?? -1) \(JSON.field(record["value"]) ?? "")"
    }
    #expect(Set(remoteRecords.map(fields)) == Set(localRecords.map(fields)))
  }

  @Test("topic configs are set at creation and altered through IncrementalAlterConfigs; produce --create makes the topic")
  func configsAndCreate() throws {
    let cluster = try Cluster()
    try cluster.ok("topic", "create", "t", "--config", "retention.ms=3600000")
    #expect(try cluster.ok("topic", "alter", "t", "--config", "retention.ms=7200000").output == "t retention.ms=7200000\n")
    let config = try JSON.object(try cluster.ok("describe", "t", "--json").output)["config"] as? [String: Any]
    #expect(JSON.int(config?["retention.ms"]) == 7_200_000)
    try cluster.ok("produce", "fresh", "--create", stdin: "x\n")
    #expect(try cluster.ok("consume", "fresh").output == "x\n")
  }

  @Test("consume's start and stop positions and formats read the cluster as they read a data directory")
  func consumePositions() throws {
    let cluster = try Cluster()
    let input = (0..<20).map { #"{"key":"k\#($0 % 4)","value":"v\#($0)","timestamp":\#(1_700_000_000_000 + Int64($0) * 1000)}"# }
      .joined(separator: "\n") + "\n"
    try cluster.ok("topic", "create", "t", "--partitions", "2")
    try cluster.kq.ok("topic", "create", "t", "--partitions", "2")
    try cluster.ok("produce", "t", "--json", stdin: input)
    try cluster.kq.ok("produce", "t", "--json", stdin: input)
    for arguments in [
      ["-p", "1", "--from", "3"], ["-p", "0", "--from", "2", "--until", "5"], ["-n", "3", "-p", "1"],
      ["-p", "0", "--from", "2023-11-14T22:13:30Z"], ["-p", "1", "--format", "%p %o %k=%s\\n"], ["-p", "0", "--json"],
    ] {
      let remote = try cluster.kq.run(["consume", "t"] + arguments, stdin: [], environment: cluster.environment)
      let local = try cluster.kq.run(["consume", "t"] + arguments, stdin: [])
      #expect(remote.status == 0 && remote.output == local.output && remote.errors == local.errors, "\(arguments): \(remote)\n\(local)")
    }
  }

  @Test("consume -f prints a record produced while it waits, and Ctrl-C ends it")
  func follow() throws {
    let cluster = try Cluster()
    try cluster.ok("topic", "create", "logs", "--partitions", "2")
    try cluster.ok("produce", "logs", "-p", "0", stdin: "first\n")
    let follower = try cluster.start("consume", "logs", "-f")
    #expect(follower.readLine() == "first")
    try cluster.ok("produce", "logs", "-p", "1", stdin: "second\n")
    #expect(follower.readLine() == "second")
    try cluster.ok("produce", "logs", "-p", "0", stdin: "third\n")
    #expect(follower.readLine() == "third")
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130 && ended.errors == "", "\(ended)")
  }

  @Test("a broker killed under a running produce: one line, exit 69, and --print-offsets shows only what was acknowledged")
  func brokerKilledUnderProduce() throws {
    let cluster = try Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "3")
    let producer = try KQProcess.start(
      ["--broker-timeout", "2s", "produce", "t", "-K", ":", "--print-offsets"], directory: cluster.kq.path,
      environment: cluster.environment)
    producer.write("a:1\nb:2\nc:3\n")
    // murmur2 puts a and c in partition 1, b and d in partition 2 (as a data directory does).
    let acknowledged = [producer.readLine(), producer.readLine(), producer.readLine()]
    #expect(acknowledged == ["1 0", "2 0", "1 1"])
    cluster.broker.stop()
    producer.write("d:4\n")
    producer.closeInput()
    let ended = try producer.finish()
    #expect(ended.status == 69, "\(ended)")
    #expect(ended.output == "1 0\n2 0\n1 1\n", "nothing after the broker died was acknowledged: \(ended)")
    #expect(ended.errors.split(separator: "\n").count == 1, "\(ended)")
    #expect(ended.errors.contains("partition 2"), "\(ended)")
    #expect(ended.errors.contains("3 records before it were stored"), "\(ended)")
  }

  @Test("an unreachable broker is one line and exit 69 within --broker-timeout")
  func unreachable() throws {
    let kq = try KQSandbox()
    let port = try TansuBroker.freePort()
    for arguments in [["topic", "list"], ["produce", "t"], ["consume", "t"], ["describe"]] {
      let result = try kq.run(["--brokers", "127.0.0.1:\(port)", "--broker-timeout", "1s"] + arguments, stdin: Array("x\n".utf8))
      #expect(result.status == 69, "\(arguments): \(result)")
      #expect(result.errors.split(separator: "\n").count == 1 && result.errors.contains("connection refused by 127.0.0.1:\(port)"), "\(result)")
    }
  }

  @Test("a broker that asks for SASL gets one line saying kq does not support it yet, exit 69")
  func sasl() throws {
    let cluster = try Cluster(authentication: true)
    let result = try cluster.run("topic", "list")
    #expect(result.status == 69 && result.errors.split(separator: "\n").count == 1, "\(result)")
    #expect(result.errors.contains("kq does not support TLS/SASL yet"), "\(result)")
  }

  @Test("consume --group joins through the coordinator, reads from the group's commits and commits what it wrote")
  func groupConsume() throws {
    let cluster = try Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "2")
    try cluster.ok("produce", "t", "-K", ":", stdin: "a:1\nb:2\nc:3\n")
    #expect(Set(try cluster.ok("consume", "t", "--group", "g").lines) == ["1", "2", "3"])
    let committed = (try JSON.object(try cluster.ok("group", "describe", "g", "--json").output)["partitions"] as? [[String: Any]]) ?? []
    let written = committed.filter { (JSON.int($0["end_offset"]) ?? 0) > 0 }
    #expect(!written.isEmpty && written.allSatisfy { JSON.int($0["lag"]) == 0 }, "\(committed)")
    try cluster.ok("produce", "t", "-K", ":", stdin: "a:4\n")
    #expect(try cluster.ok("consume", "t", "--group", "g").lines == ["4"])
  }

  @Test("a missing topic, and what only a data directory does, are refused by name with kq's statuses")
  func refusals() throws {
    let cluster = try Cluster()
    let consume = try cluster.run("consume", "nothing")
    #expect(consume.status == 66 && consume.errors.hasPrefix("kq: error: topic 'nothing' does not exist"), "\(consume)")
    let produce = try cluster.run("produce", "nothing", stdin: "x\n")
    #expect(produce.status == 66, "\(produce)")
    let verify = try cluster.run("verify")
    #expect(verify.status == 64 && verify.errors.contains("kq verify works on a data directory only"), "\(verify)")
    try cluster.ok("topic", "create", "t")
    let pipe = try cluster.run("pipe", "t", "missing", "--group", "g", "--", "cat")
    #expect(pipe.status == 66 && pipe.errors.hasPrefix("kq: error: topic 'missing' does not exist"), "\(pipe)")
    // Tansu 0.6.0 has no CreatePartitions.
    let grow = try cluster.run("topic", "alter", "t", "--partitions", "2")
    #expect(grow.status == 69 && grow.errors.contains("does not support CreatePartitions"), "\(grow)")
  }

  @Test("--dir wins over --brokers and KQ_BROKERS")
  func dirWins() throws {
    let cluster = try Cluster()
    try cluster.ok("--dir", cluster.kq.path, "produce", "local", "--create", stdin: "x\n")
    #expect(try cluster.ok("topic", "list").output == "")
    #expect(try cluster.kq.ok("topic", "list").output == "local\n")
  }
}

/// kafka-python, an independent client, reads what `kq produce --brokers` wrote and writes
/// what `kq consume --brokers` reads, with the same keys, values, headers, timestamps and
/// partitions (kafka-python's default partitioner is murmur2, as kq's).
@Suite("cluster mode with kafka-python", .enabled(if: TestPeer.tansu.shouldRun && TestPeer.kafkaPython.shouldRun))
struct ClusterInteropTests {
  static let dump = """
    import sys
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False, consumer_timeout_ms=5000)
    parts = [TopicPartition('t', p) for p in range(3)]
    c.assign(parts); c.seek_to_beginning()
    def s(b): return 'null' if b is None else b.decode()
    rows = []
    for m in c:
        rows.append('%d %d %s %s %s %d' % (m.partition, m.offset, s(m.key), s(m.value), ';'.join('%s=%s' % (k, s(v)) for k, v in m.headers), m.timestamp))
        if len(rows) == int(sys.argv[2]): break
    print('\\n'.join(sorted(rows)))
    """

  static let write = """
    import sys
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=sys.argv[1], linger_ms=20)
    for i in range(12):
        p.send('t', key=('key%d' % i).encode(), value=('value%d' % i).encode(), headers=[('h', b'v%d' % i)], timestamp_ms=1700000000000 + i)
    p.flush()
    """

  static func python(_ script: String, _ arguments: [String]) throws -> String { try PythonScript.run(script, arguments) }

  static func line(_ record: [String: Any]) -> String {
    let headers = JSON.headers(record["headers"]).map { "\($0[0] ?? "")=\($0[1] ?? "null")" }.joined(separator: ";")
    return "\(JSON.int(record["partition"]) ?? -1) \(JSON.int(record["offset"]) ?? -1) \(JSON.field(record["key"]) ?? "null") "
      + "\(JSON.field(record["value"]) ?? "null") \(headers) \(JSON.int(record["timestamp"]) ?? -1)"
  }

  @Test("kafka-python reads what kq produced to the cluster, field for field and partition for partition")
  func kafkaPythonReadsKq() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "3")
    let input = (0..<12).map { #"{"key":"key\#($0)","value":"value\#($0)","headers":[["h","v\#($0)"]],"timestamp":\#(1_700_000_000_000 + $0)}"# }
      .joined(separator: "\n") + "\n"
    try cluster.ok("produce", "t", "--json", stdin: input)
    let expected = try JSON.lines(try cluster.ok("consume", "t", "--json").output).map(Self.line).sorted()
    let read = try Self.python(Self.dump, [cluster.broker.address, "12"]).split(separator: "\n").map(String.init)
    #expect(read == expected && expected.count == 12)
  }

  @Test("a group kafka-python committed is listed, described with its lag, shown by describe TOPIC, and deleted through the coordinator")
  func groupOffsetsThroughTheCoordinator() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "2")
    try cluster.ok("produce", "t", "-p", "0", stdin: (1...10).map { "\($0)\n" }.joined())
    try cluster.ok("produce", "t", "-p", "1", stdin: "a\nb\n")
    _ = try Self.python(
      """
      import sys
      from kafka import KafkaConsumer, TopicPartition
      from kafka.structs import OffsetAndMetadata
      c = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id='g', enable_auto_commit=False)
      c.commit({TopicPartition('t', 0): OffsetAndMetadata(7, None, -1)})
      c.close()
      """, [cluster.broker.address])
    #expect(try cluster.ok("group", "list").output == "g\n")
    let rows = (try JSON.object(try cluster.ok("group", "describe", "g", "--json").output)["partitions"] as? [[String: Any]]) ?? []
    #expect(rows.map { JSON.int($0["committed_offset"]) } == [7, nil])
    #expect(rows.map { JSON.int($0["lag"]) } == [3, nil])
    #expect(rows.map { JSON.int($0["end_offset"]) } == [10, 2])
    #expect(try cluster.ok("describe", "t").output.hasSuffix("GROUP  PARTITION  COMMITTED  END  LAG\ng      0          7          10   3\n"))
    #expect(try cluster.ok("group", "delete", "g").output == "deleted group g\n")
    let gone = try cluster.run("group", "describe", "g")
    #expect(gone.status == 66 && gone.firstErrorLine == "kq: error: group 'g' does not exist (hint: 'kq group list' shows the groups)", "\(gone)")
  }

  @Test("kq reads what kafka-python produced to the cluster, in the partitions kq's own keys choose")
  func kqReadsKafkaPython() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t", "--partitions", "3")
    _ = try Self.python(Self.write, [cluster.broker.address])
    let read = try JSON.lines(try cluster.ok("consume", "t", "--json").output)
    #expect(read.count == 12)
    try cluster.kq.ok("topic", "create", "t", "--partitions", "3")
    let input = (0..<12).map { #"{"key":"key\#($0)","value":"value\#($0)"}"# }.joined(separator: "\n") + "\n"
    try cluster.kq.ok("produce", "t", "--json", stdin: input)
    let partitionOf = { (records: [[String: Any]]) in
      Dictionary(uniqueKeysWithValues: records.map { (JSON.field($0["key"]) ?? "", JSON.int($0["partition"]) ?? -1) })
    }
    #expect(partitionOf(read) == partitionOf(try cluster.kq.records("t")))
    #expect(Set(read.map { "\(JSON.field($0["value"]) ?? "") \(JSON.headers($0["headers"])) \(JSON.int($0["timestamp"]) ?? 0)" })
      == Set((0..<12).map { "value\($0) \([["h", "v\($0)"]] as [[String?]]) \(1_700_000_000_000 + $0)" }))
  }
}

/// The README's "When one machine is not enough" block runs as written against a broker of the
/// test's own (its address standing in for localhost:9092).
@Suite("README cluster example", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterReadmeTests {
  @Test("the README's cluster example runs and prints the records it produced")
  func readmeClusterExample() throws {
    let cluster = try ClusterTests.Cluster()
    let readme = try String(contentsOfFile: KQProcess.packageRoot + "/README.md", encoding: .utf8)
    let section = readme.components(separatedBy: "## When one machine is not enough").dropFirst().first ?? ""
    let block = section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first ?? ""
    #expect(block.contains("kq produce events"))
    let script = "set -e\n" + block.replacingOccurrences(of: "localhost:9092", with: cluster.broker.address)
    let result = try cluster.kq.shell(script)
    #expect(result.status == 0, "\(result)")
    #expect(result.output.contains("alice logged in\nbob logged out\n"), "\(result)")
    #expect(result.output.contains("LEADER  REPLICAS  ISR"), "\(result)")
  }

  @Test("the README's mirror example copies a local topic to the cluster and back")
  func readmeMirrorExample() throws {
    let cluster = try ClusterTests.Cluster()
    let readme = try String(contentsOfFile: KQProcess.packageRoot + "/README.md", encoding: .utf8)
    let section = readme.components(separatedBy: "## When one machine is not enough").dropFirst().first ?? ""
    let block = section.components(separatedBy: "```sh\n").dropFirst(2).first?.components(separatedBy: "```").first ?? ""
    #expect(block.contains("kq mirror events kafka://"))
    try cluster.kq.ok("produce", "events", "--create", "-K", ":", stdin: "alice:logged in\nbob:logged out\n")
    let script = "set -e\n" + block.replacingOccurrences(of: "localhost:9092", with: cluster.broker.address)
    let result = try cluster.kq.shell(script)
    #expect(result.status == 0 && result.output.contains(#""records":2"#), "\(result)")
    let restored = try cluster.kq.records("events-restored").map(MirrorTests.fields)
    #expect(restored == (try cluster.kq.records("events").map(MirrorTests.fields)) && restored.count == 2)
  }
}

/// Which log a command works on, and the flags that name a cluster, checked before any
/// connection is made.
@Suite("cluster flags")
struct ClusterFlagTests {
  @Test("KQ_BROKERS wins over KQ_DIR, --dir over both; an empty --brokers or a bare --broker-timeout number is a usage error")
  func precedence() throws {
    let kq = try KQSandbox()
    let port = try TansuBroker.freePort()
    let viaEnvironment = try kq.run(["--broker-timeout", "200ms", "topic", "list"], stdin: [], environment: ["KQ_BROKERS": "127.0.0.1:\(port)"])
    #expect(viaEnvironment.status == 69 && viaEnvironment.errors.contains("127.0.0.1:\(port)"), "\(viaEnvironment)")
    let local = try kq.run(["--dir", kq.path, "topic", "list"], stdin: [], environment: ["KQ_BROKERS": "127.0.0.1:\(port)"])
    #expect(local.status == 0 && local.errors == "", "\(local)")
    let empty = try kq.run("--brokers", "", "topic", "list")
    #expect(empty.status == 64 && empty.errors.contains("--brokers"), "\(empty)")
    let bare = try kq.run("--brokers", "127.0.0.1:\(port)", "--broker-timeout", "5", "topic", "list")
    #expect(bare.status == 64 && bare.errors.contains("--broker-timeout"), "\(bare)")
    let malformed = try kq.run("--brokers", "127.0.0.1:99999", "topic", "list")
    #expect(malformed.status == 64 && malformed.firstErrorLine.contains("the port must be a number from 1 to 65535"), "\(malformed)")
  }
}
