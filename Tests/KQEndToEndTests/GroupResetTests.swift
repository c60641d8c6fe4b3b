import Glibc
import KQTestSupport
import Testing

/// `group describe`, `describe TOPIC` lag, `group reset` plans and executions, `group list`
/// and `group delete`, against offsets counted by hand.
@Suite("group describe, reset, list and delete")
struct GroupResetTests {
  /// Topic "t": partition 0 has 10 records stamped 1000, 2000 … 10000 ms, partition 1 six
  /// records stamped 1000 … 6000, partition 2 none. Group "g" has committed 4 and 6.
  static func committedGroup() throws -> KQSandbox {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "3")
    var input = ""
    for index in 0..<10 { input += #"{"value":"a\#(index)","partition":0,"timestamp":\#((index + 1) * 1000)}"# + "\n" }
    for index in 0..<6 { input += #"{"value":"b\#(index)","partition":1,"timestamp":\#((index + 1) * 1000)}"# + "\n" }
    try kq.ok("produce", "t", "--json", stdin: input)
    try kq.ok("consume", "t", "--group", "g", "-p", "0", "-n", "4")
    try kq.ok("consume", "t", "--group", "g", "-p", "1")
    return kq
  }

  @Test("group describe --json shows each partition's committed offset, log start, end, lag and lease holder")
  func describeGroupJSON() throws {
    let kq = try Self.committedGroup()
    let rows = try kq.groupRows("g", topic: "t")
    let keys: Set<String> = ["topic", "partition", "committed_offset", "log_start_offset", "end_offset", "lag", "lease_pid"]
    #expect(rows.map { Set($0.keys) } == [keys, keys, keys])
    #expect(rows.map { JSON.int($0["partition"]) } == [0, 1, 2])
    #expect(rows.map { JSON.int($0["committed_offset"]) } == [4, 6, nil])
    #expect(rows.map { JSON.int($0["log_start_offset"]) } == [0, 0, 0])
    #expect(rows.map { JSON.int($0["end_offset"]) } == [10, 6, 0])
    #expect(rows.map { JSON.int($0["lag"]) } == [6, 0, nil])
    #expect(rows.allSatisfy { JSON.isNull($0["lease_pid"]) })
    let table = try kq.ok("group", "describe", "g").lines.map { $0.split(separator: " ").map(String.init) }
    #expect(table == [
      ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "LOG-START", "END", "LAG", "LEASE-PID"],
      ["g", "t", "0", "4", "0", "10", "6", "-"], ["g", "t", "1", "6", "0", "6", "0", "-"], ["g", "t", "2", "-", "0", "0", "-", "-"],
    ])
    let missing = try kq.run("group", "describe", "nobody")
    #expect(missing.status == 66 && missing.firstErrorLine.hasPrefix("kq: error: group 'nobody' does not exist"), "\(missing)")
  }

  @Test("describe TOPIC shows every group's committed offset and lag per partition")
  func describeTopicLag() throws {
    let kq = try Self.committedGroup()
    try kq.ok("consume", "t", "--group", "h", "-p", "0")
    try kq.ok("produce", "t", "-p", "0", stdin: "late\n")
    let partitions = try #require(try JSON.object(try kq.ok("describe", "t", "--json").output)["partitions"] as? [[String: Any]])
    let groups = partitions.map { ($0["groups"] as? [[String: Any]]) ?? [] }
    #expect(groups.map { $0.map { $0["group"] as? String } } == [["g", "h"], ["g"], []])
    #expect(groups.map { $0.map { JSON.int($0["committed_offset"]) } } == [[4, 10], [6], []])
    #expect(groups.map { $0.map { JSON.int($0["lag"]) } } == [[7, 1], [0], []])
    let text = try kq.ok("describe", "t").lines.map { $0.split(separator: " ").map(String.init) }
    let header = try #require(text.firstIndex(of: ["GROUP", "PARTITION", "COMMITTED", "END", "LAG"]))
    #expect(Array(text[(header + 1)...]) == [["g", "0", "4", "11", "7"], ["g", "1", "6", "6", "0"], ["h", "0", "10", "11", "1"]])
  }

  @Test("a reset without --execute prints the plan and changes nothing")
  func dryRun() throws {
    let kq = try Self.committedGroup()
    let plan = try kq.ok("group", "reset", "g", "--topic", "t", "--to-earliest", "--json")
    let object = try JSON.object(plan.output)
    #expect(object["executed"] as? Bool == false)
    let steps = try #require(object["plan"] as? [[String: Any]])
    #expect(steps.map { JSON.int($0["partition"]) } == [0, 1, 2])
    #expect(steps.map { JSON.int($0["current_offset"]) } == [4, 6, nil])
    #expect(steps.map { JSON.int($0["new_offset"]) } == [0, 0, 0])
    #expect(steps.allSatisfy { $0["group"] as? String == "g" && $0["topic"] as? String == "t" })
    #expect(plan.errors.contains("dry run"), "\(plan)")
    let table = try kq.ok("group", "reset", "g", "--topic", "t", "--to-latest").lines.map { $0.split(separator: " ").map(String.init) }
    #expect(table == [
      ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"],
      ["g", "t", "0", "4", "10"], ["g", "t", "1", "6", "6"], ["g", "t", "2", "-", "0"],
    ])
    #expect(try kq.committed("g", topic: "t") == [4, 6, nil])
  }

  @Test("--execute moves the offsets: to-latest, to-offset, to-datetime, shift-by, clamped to each log")
  func executedResets() throws {
    let kq = try Self.committedGroup()
    func reset(_ arguments: String...) throws -> [Int64?] {
      try kq.run(["group", "reset", "g", "--topic", "t", "--execute"] + arguments, stdin: []).checked()
      return try kq.committed("g", topic: "t")
    }
    #expect(try reset("--to-latest") == [10, 6, 0])
    #expect(try reset("--to-offset", "3", "-p", "0,1") == [3, 3, 0])
    #expect(try reset("--to-offset", "8") == [8, 6, 0])
    #expect(try reset("--to-datetime", "@5500") == [5, 5, 0])
    #expect(try reset("--to-datetime", "1970-01-01T00:00:01Z") == [0, 0, 0])
    #expect(try reset("--to-datetime", "@99999") == [10, 6, 0])
    #expect(try reset("--shift-by", "-3", "-p", "0") == [7, 6, 0])
    #expect(try reset("--shift-by", "-100") == [0, 0, 0])
    #expect(try reset("--to-earliest", "-p", "2") == [0, 0, 0])
    #expect(try kq.ok("consume", "t", "--group", "g", "-p", "1").output == "b0\nb1\nb2\nb3\nb4\nb5\n")
  }

  @Test("a reset clamped to the log warns on stderr; a reset or delete of a leased partition is refused with 75 and a hint without --wait", .localOnly("names the lease holder's pid; a cluster refuses a reset of a group with members in its own words (ClusterGroupAdminTests)"))
  func clampedAndLeased() throws {
    let kq = try Self.committedGroup()
    let clamped = try kq.ok("group", "reset", "g", "--topic", "t", "-p", "1", "--shift-by", "5", "--execute")
    #expect(clamped.errors.contains("kq: warning: partition 1: 11 is past the log end; using 6"), "\(clamped)")
    let holder = try kq.start("consume", "t", "--group", "g", "-p", "0", "-f")
    #expect(holder.readLine() == "a4")
    let refused = try kq.run("group", "reset", "g", "--topic", "t", "--to-earliest", "--execute")
    #expect(refused.status == 75, "\(refused)")
    #expect(refused.firstErrorLine.contains("partition 0 of 't' is being read by another consumer of group 'g' (pid \(holder.pid))"), "\(refused)")
    let deleting = try kq.run("group", "delete", "g")
    #expect(deleting.status == 75, "\(deleting)")
    // Neither command takes --wait, so neither hint may offer it.
    for result in [refused, deleting] {
      #expect(result.firstErrorLine.hasSuffix("(hint: let that consumer finish or stop it, then run this again)"), "\(result)")
    }
    holder.signal(SIGINT)
    _ = try holder.finish()
    #expect(try kq.committed("g", topic: "t") == [10, 6, nil])
  }

  @Test("a partition named twice is planned once, and a shift too large for 64 bits clamps to the log end")
  func duplicatePartitionsAndHugeShift() throws {
    let kq = try Self.committedGroup()
    let plan = try kq.ok("group", "reset", "g", "--topic", "t", "-p", "0,0", "-p", "0", "--to-earliest", "--execute", "--json")
    #expect((try JSON.object(plan.output)["plan"] as? [Any])?.count == 1, "\(plan)")
    #expect(try kq.committed("g", topic: "t") == [0, 6, nil])
    let shifted = try kq.ok("group", "reset", "g", "--topic", "t", "-p", "0", "--shift-by", String(Int64.max), "--execute")
    #expect(shifted.errors.contains("is past the log end; using 10"), "\(shifted)")
    #expect(try kq.committed("g", topic: "t") == [10, 6, nil])
    try kq.ok("group", "reset", "g", "--topic", "t", "-p", "0", "--shift-by", String(Int64.min), "--execute")
    #expect(try kq.committed("g", topic: "t") == [0, 6, nil])
  }

  @Test("group list names every group; group delete forgets one so it starts where --from says", .localOnly("Tansu 0.6.0 closes the connection at the first join of a group deleted before (a storage error in its log), which kq can only report as a closed connection"))
  func listAndDelete() throws {
    let kq = try Self.committedGroup()
    try kq.ok("consume", "t", "--group", "other", "-n", "1")
    #expect(try kq.ok("group", "list").output == "g\nother\n")
    let listed = try JSON.array(try kq.ok("group", "list", "--json").output).compactMap { $0 as? [String: Any] }
    #expect(listed.map { $0["name"] as? String } == ["g", "other"])
    #expect(listed.map { $0["topics"] as? [String] } == [["t"], ["t"]])
    #expect(try kq.ok("group", "delete", "g").output == "deleted group g\n")
    #expect(try kq.ok("group", "list").output == "other\n")
    #expect(try kq.ok("consume", "t", "--group", "g", "-p", "1", "--from", "-1").output == "b5\n")
  }
}
