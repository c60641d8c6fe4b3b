import Foundation
import Glibc
import KQTestSupport
import Testing

/// `kq mirror SRC DST` within a data directory, and its refusals: each one line and a status.
@Suite("kq mirror", .localOnly("a mirror's TOPIC side is the data directory whatever KQ_BROKERS says; MirrorClusterTests mirror to and from a cluster"))
struct MirrorTests {
  static let records = #"""
    {"key":"k1","value":"v1","headers":[["h","x"],["n",null]],"timestamp":1700000000000,"partition":0}
    {"key":null,"value":"v2","timestamp":1700000000001,"partition":2}
    {"key":{"base64":"AP8="},"value":{"base64":"AQI="},"timestamp":1700000000002,"partition":1}
    {"key":"tomb","value":null,"timestamp":1700000000003,"partition":2}
    {"key":"","value":"","headers":[["",""]],"timestamp":0,"partition":0}

    """#

  /// Every field of a record but its topic, offsets included: a copy must keep them all.
  static func fields(_ record: [String: Any]) -> String {
    let headers = JSON.headers(record["headers"]).map { "\($0[0] ?? "null")=\($0[1] ?? "null")" }.joined(separator: ";")
    return "\(JSON.int(record["partition"]) ?? -1) \(JSON.int(record["offset"]) ?? -1) \(JSON.field(record["key"]) ?? "null") "
      + "\(JSON.field(record["value"]) ?? "null") \(headers) \(JSON.int(record["timestamp"]) ?? -1)"
  }

  @Test("a local copy keeps keys, values, headers, timestamps, partitions and offsets; a second run copies only what came since")
  func localCopyResumes() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "orders", "--partitions", "3")
    try kq.ok("produce", "orders", "--json", stdin: Self.records)
    let first = try JSON.object(try kq.ok("mirror", "orders", "copy", "--json").output)
    #expect(JSON.int(first["records"]) == 5 && first["group"] as? String == "kq-mirror.copy")
    #expect(try kq.records("copy").map(Self.fields) == kq.records("orders").map(Self.fields))
    #expect(try kq.ok("describe", "copy").output.contains("partitions=3"))
    try kq.ok("produce", "orders", "-p", "1", stdin: "later\n")
    let second = try JSON.object(try kq.ok("mirror", "orders", "copy", "--json").output)
    let partitions = (second["partitions"] as? [[String: Any]] ?? []).map { [JSON.int($0["records"]), JSON.int($0["next_offset"])] }
    #expect(partitions == [[0, 2], [1, 2], [0, 2]])
    #expect(try kq.records("copy").map(Self.fields) == kq.records("orders").map(Self.fields))
  }

  @Test("-f copies records produced after it started, and stops on SIGTERM with what it copied committed")
  func followCopiesNewRecords() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "logs", "--create", stdin: "before\n")
    let mirror = try kq.start("mirror", "logs", "copy", "-f")
    #expect(eventually { ((try? kq.records("copy")) ?? []).count == 1 })
    try kq.ok("produce", "logs", stdin: "after\n")
    #expect(eventually { ((try? kq.records("copy")) ?? []).count == 2 })
    mirror.signal(SIGTERM)
    let result = try mirror.finish()
    #expect(result.status == 143, "\(result)")
    #expect(try kq.records("copy").map { JSON.field($0["value"]) } == ["before", "after"])
    #expect(try kq.committed("kq-mirror.copy", topic: "logs") == [2])
  }

  @Test("refusals are one line with kq's status", arguments: [
    (["mirror", "logs", "kafka://nohost/logs"], 64, "kq: error: DST 'kafka://nohost/logs' is not a kafka:// URL kq can use (hint: 'nohost' is not HOST:PORT; write kafka://HOST:PORT[,HOST:PORT...]/TOPIC, or a local TOPIC)"),
    (["mirror", "http://h:1/logs", "copy"], 64, "kq: error: SRC 'http://h:1/logs' is not a kafka:// URL kq can use (hint: the only URL scheme is kafka://; write kafka://HOST:PORT[,HOST:PORT...]/TOPIC, or a local TOPIC)"),
    (["mirror", "logs", "kafka://h:1/"], 64, "kq: error: DST 'kafka://h:1/' names no valid topic (hint: the topic name: it is empty)"),
    (["mirror", "logs", "logs"], 64, "kq: error: SRC and DST are the same topic 'logs' (hint: give a DST other than SRC)"),
    (["mirror", "missing", "copy"], 66, "kq: error: topic 'missing' does not exist (hint: create it with 'kq topic create missing', or produce with --create)"),
    (["mirror", "logs", "narrow"], 64, "kq: error: 'narrow' has 1 partition, fewer than the 2 of 'logs' (hint: add partitions with 'kq topic alter narrow --partitions 2', or mirror to a new topic)"),
  ])
  func refusals(arguments: [String], status: Int32, line: String) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "logs", "--partitions", "2")
    try kq.ok("topic", "create", "narrow")
    let result = try kq.run(arguments, stdin: [])
    #expect(result.status == status && result.errors == line + "\n", "\(result)")
  }

  @Test("a cluster that cannot be reached is one line and status 69")
  func unreachableBroker() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "logs", "--create", stdin: "x\n")
    let port = try TansuBroker.freePort()
    let result = try kq.run(["mirror", "logs", "kafka://127.0.0.1:\(port)/logs", "--broker-timeout", "1s"], stdin: [])
    #expect(result.status == 69 && result.errors.split(separator: "\n").count == 1, "\(result)")
    #expect(result.firstErrorLine.contains("connection refused by 127.0.0.1:\(port)"), "\(result)")
  }
}
