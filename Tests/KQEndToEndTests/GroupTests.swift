import Glibc
import KQTestSupport
import Testing

/// `consume --group`: where a run starts, what it commits, and partition leases between
/// processes of one group.
@Suite("consumer groups")
struct GroupTests {
  @Test("a group run starts at the committed offset and commits what it wrote")
  func resumesFromCommit() throws {
    let kq = try KQSandbox()
    try kq.shell("seq 0 9 | kq produce t --create").checked()
    #expect(try kq.ok("consume", "t", "--group", "g", "-n", "3").output == "0\n1\n2\n")
    #expect(try kq.committed("g", topic: "t") == [3])
    #expect(try kq.ok("consume", "t", "--group", "g", "-n", "3").output == "3\n4\n5\n")
    #expect(try kq.ok("consume", "t", "--group", "g").output == "6\n7\n8\n9\n")
    #expect(try kq.committed("g", topic: "t") == [10])
    #expect(try kq.ok("consume", "t", "--group", "g").output == "")
  }

  @Test("a group without a commit starts where --from says; with one, --from is ignored")
  func fromOnlyWithoutCommit() throws {
    let kq = try KQSandbox()
    try kq.shell("seq 0 9 | kq produce t --create").checked()
    #expect(try kq.ok("consume", "t", "--group", "g", "--from", "-2").output == "8\n9\n")
    try kq.ok("produce", "t", stdin: "10\n")
    #expect(try kq.ok("consume", "t", "--group", "g", "--from", "beginning").output == "10\n")
  }

  @Test("--no-commit reads from the group's position without moving it")
  func noCommit() throws {
    let kq = try KQSandbox()
    try kq.shell("seq 0 4 | kq produce t --create").checked()
    try kq.ok("consume", "t", "--group", "g", "-n", "2")
    #expect(try kq.ok("consume", "t", "--group", "g", "--no-commit").output == "2\n3\n4\n")
    #expect(try kq.committed("g", topic: "t") == [2])
    #expect(try kq.ok("consume", "t", "--group", "g").output == "2\n3\n4\n")
  }

  @Test("Ctrl-C to a following group consumer commits what it printed; while following it commits within a second")
  func followCommits() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\nb\n")
    let follower = try kq.start("consume", "t", "--group", "g", "-f")
    #expect(follower.readLine() == "a" && follower.readLine() == "b")
    try kq.ok("produce", "t", stdin: "c\n")
    #expect(follower.readLine() == "c")
    #expect(try eventually(timeout: 5) { try kq.committed("g", topic: "t") == [3] }, "no commit while following")
    if !TestBackend.isCluster {  // a cluster's holder is a member (group describe's members), not a pid
      #expect(try kq.groupRows("g", topic: "t").first.flatMap { JSON.int($0["lease_pid"]) } == Int64(follower.pid))
    }
    try kq.ok("produce", "t", stdin: "d\n")
    #expect(follower.readLine() == "d")
    follower.signal(SIGINT)
    #expect(try follower.finish().status == 130)
    #expect(try kq.committed("g", topic: "t") == [4])
    #expect(JSON.isNull(try kq.groupRows("g", topic: "t").first?["lease_pid"]))
  }

  @Test("a second consumer of a group exits 75 when every partition is leased", .localOnly("Kafka's coordinator shares a group's partitions among its members by rebalancing: nothing is leased, so nothing refuses or waits for a lease (ClusterRebalanceTests)"))
  func allPartitionsLeased() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "2")
    try kq.ok("produce", "t", "-p", "0", stdin: "a\n")
    let holder = try kq.start("consume", "t", "--group", "g", "-f")
    #expect(holder.readLine() == "a")
    let second = try kq.run("consume", "t", "--group", "g")
    #expect(second.status == 75, "\(second)")
    #expect(second.output == "")
    #expect(second.firstErrorLine.hasPrefix("kq: error: every partition of 't' is being read by another consumer of group 'g'"), "\(second)")
    #expect(second.errors.contains("--wait"))
    let other = try kq.run("consume", "t", "--group", "other")
    #expect(other.status == 0 && other.output == "a\n", "\(other)")
    holder.signal(SIGINT)
    _ = try holder.finish()
  }

  @Test("--wait waits for a leased partition, then starts at the holder's commit", .localOnly("Kafka's coordinator shares a group's partitions among its members by rebalancing: nothing is leased, so nothing refuses or waits for a lease (ClusterRebalanceTests)"))
  func waitForLease() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "1\n")
    let holder = try kq.start("consume", "t", "--group", "g", "-f")
    #expect(holder.readLine() == "1")
    let waiter = try kq.start("consume", "t", "--group", "g", "--wait", "-f")
    try kq.ok("produce", "t", stdin: "2\n")
    #expect(holder.readLine() == "2")
    #expect(waiter.process.isRunning)
    holder.signal(SIGINT)
    #expect(try holder.finish().status == 130)
    try kq.ok("produce", "t", stdin: "3\n")
    #expect(waiter.readLine() == "3")
    waiter.signal(SIGINT)
    let ended = try waiter.finish()
    #expect(ended.status == 130 && ended.output == "3\n", "\(ended)")
  }

  @Test("kill -9 leaves no stale lease: the killed consumer's CMD, waiting on a fifo, goes with it")
  func killLeavesNoLease() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\nb\n")
    try kq.shell("mkfifo gate").checked()
    let command = "cat > /dev/null; echo $KQ_FIRST_OFFSET-$KQ_LAST_OFFSET >> started; read x < gate"
    let loader = try kq.startShell("exec kq consume t --group g --exec \(KQSandbox.quote(command))")
    #expect(eventually { kq.read("started") == "0-1\n" })
    let leases = !TestBackend.isCluster  // a cluster's killed member is dropped when its 6 s session ends
    if leases { #expect(try kq.groupRows("g", topic: "t").first.flatMap { JSON.int($0["lease_pid"]) } == Int64(loader.pid)) }
    loader.signal(SIGKILL)
    if leases { #expect(try eventually { JSON.isNull(try kq.groupRows("g", topic: "t").first?["lease_pid"]) }) }
    let next = try kq.run("consume", "t", "--group", "g")
    #expect(next.status == 0 && next.output == "a\nb\n", "\(next)")
    #expect(try loader.finish().status == 137)
    // Nobody is left reading the gate: opening it to write without waiting finds no reader.
    #expect(eventually {
      let gate = open(kq.file("gate"), O_WRONLY | O_NONBLOCK)
      if gate >= 0 { close(gate) }
      return gate == -1 && errno == ENXIO
    })
  }

  @Test("a second consumer takes only the partitions that are free", .localOnly("Kafka's coordinator shares a group's partitions among its members by rebalancing: nothing is leased, so nothing refuses or waits for a lease (ClusterRebalanceTests)"))
  func secondTakesFreePartitions() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "4")
    for partition in 0..<4 {
      try kq.ok("produce", "t", "-p", String(partition), stdin: (0..<5).map { "p\(partition)-\($0)\n" }.joined())
    }
    let first = try kq.start("consume", "t", "--group", "g", "-p", "0", "-f")
    for index in 0..<5 { #expect(first.readLine() == "p0-\(index)") }
    let second = try kq.ok("consume", "t", "--group", "g", "--format", "%p\\n")
    #expect(second.lines == Array(repeating: "1", count: 5) + Array(repeating: "2", count: 5) + Array(repeating: "3", count: 5))
    first.signal(SIGINT)
    _ = try first.finish()
    #expect(try kq.committed("g", topic: "t") == [5, 5, 5, 5])
    #expect(try kq.ok("consume", "t", "--group", "g").output == "")
  }

  @Test("two consumers of one group started together read disjoint sets whose union is everything")
  func twoConsumersTogether() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "4")
    var all: [String] = []
    for partition in 0..<4 {
      let values = (0..<40).map { "p\(partition)-\($0)" }
      all += values
      try kq.ok("produce", "t", "-p", String(partition), stdin: values.map { $0 + "\n" }.joined())
    }
    let command = "cat >> out-$WHO; echo $KQ_PARTITION >> parts-$WHO"
    let a = try kq.startShell("kq consume t --group g --wait --batch 3 --exec \(KQSandbox.quote(command))", environment: ["WHO": "a"])
    let b = try kq.startShell("kq consume t --group g --wait --batch 3 --exec \(KQSandbox.quote(command))", environment: ["WHO": "b"])
    let (endedA, endedB) = (try a.finish(), try b.finish())
    #expect(endedA.status == 0 && endedB.status == 0, "\(endedA)\n\(endedB)")
    let readA = kq.read("out-a").split(separator: "\n").map(String.init)
    let readB = kq.read("out-b").split(separator: "\n").map(String.init)
    #expect(Set(readA).isDisjoint(with: readB))
    #expect((readA + readB).sorted() == all.sorted())
    let partsA = Set(kq.read("parts-a").split(separator: "\n"))
    #expect(partsA.isDisjoint(with: kq.read("parts-b").split(separator: "\n")))
    #expect(try kq.committed("g", topic: "t") == [40, 40, 40, 40])
  }

  @Test("a committed offset below the log start (after retention) or past the log end is reset to the nearest end, with a warning", .localOnly("needs retention by size (Tansu 0.6.0 removes nothing) and edits a group's offset file"))
  func commitOutsideLog() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "r", "--config", "segment.bytes=1KiB", "--config", "retention.bytes=1KiB")
    try kq.shell("seq -f '%050g' 0 9 | kq produce r").checked()
    try kq.ok("consume", "r", "--group", "g", "-n", "1")
    for _ in 0..<5 { try kq.shell("seq -f '%050g' 10 19 | kq produce r").checked() }
    let partition = try #require((try JSON.object(try kq.ok("describe", "r", "--json").output)["partitions"] as? [[String: Any]])?.first)
    let (start, end) = (try #require(JSON.int(partition["log_start_offset"])), try #require(JSON.int(partition["end_offset"])))
    #expect(start > 1 && end == 60, "retention removed nothing: \(partition)")
    let below = try kq.run("consume", "r", "--group", "g", "--format", "%o\\n")
    #expect(below.status == 0, "\(below)")
    #expect(below.lines.first == String(start) && below.lines.count == Int(end - start), "\(below)")
    #expect(below.errors == "kq: warning: partition 0: committed offset 1 is outside the log (\(start) to 60); starting at \(start)\n")
    #expect(try kq.committed("g", topic: "r") == [60])
    try kq.write("999\n", to: "data/groups/g/r/0.offset")
    try kq.ok("produce", "r", stdin: "new\n")
    let past = try kq.run("consume", "r", "--group", "g")
    #expect(past.status == 0 && past.output == "", "\(past)")
    #expect(past.errors == "kq: warning: partition 0: committed offset 999 is outside the log (\(start) to 61); starting at 61\n")
  }

  @Test("consume --group | head -3 commits only what was written: the next run starts at 3 or later, never past the pipe")
  func closedPipeCommitsWritten() throws {
    let kq = try KQSandbox()
    // 20,000 records of 100 bytes: far more than one output buffer and the pipe hold.
    try kq.shell("seq -f '%099g' 0 19999 | kq produce big --create").checked()
    let piped = try kq.shell("set -o pipefail; kq consume big --group g | head -3")
    #expect(piped.status == 0 && piped.lines.count == 3 && piped.errors == "", "\(piped)")
    let committed = try kq.committed("g", topic: "big").first ?? nil
    // head read at most 3 lines from one read of its buffer; the pipe holds 64 KiB more.
    #expect((committed ?? 0) >= 3, "the next run starts at \(committed.map(String.init) ?? "the beginning"), re-reading what head printed")
    #expect((committed ?? 0) <= (128 * 1024 + 65536) / 100)
  }

  @Test(
    "consume --group into a reader that reads 100 bytes and exits commits exactly the whole records in them, not what it left in the pipe",
    arguments: ["", " -f"])
  func readerTookCommits(follow: String) throws {
    let kq = try KQSandbox()
    _ = try kq.shell("seq 1 200000 | kq produce big --create").checked()
    // dd reads once: 100 bytes are 1..9 (18 bytes), 10..36 (81 bytes) and the '3' of 37.
    let piped = try kq.shell("kq consume big --group g\(follow) | dd bs=100 count=1 status=none; echo \" ${PIPESTATUS[0]}\"")
    #expect(piped.output == (1...36).map { "\($0)\n" }.joined() + "3 0\n" && piped.errors == "", "\(piped)")
    #expect(try kq.committed("g", topic: "big") == [36])
    #expect(try kq.ok("consume", "big", "--group", "g", "-n", "1").output == "37\n")
  }

  @Test("consume --group | head -c N commits at least every record the reader got and nothing beyond what the pipe took")
  func closedPipeCommitBounds() throws {
    let kq = try KQSandbox()
    try kq.shell("seq -f '%099g' 0 19999 | kq produce big --create").checked()
    let piped = try kq.shell("kq consume big --group g | head -c 5000 > got; echo ${PIPESTATUS[0]}")
    #expect(piped.output == "0\n" && piped.errors == "", "\(piped)")
    let got = kq.read("got").split(separator: "\n", omittingEmptySubsequences: false).count - 1
    #expect(got == 50)
    let committed = try kq.committed("g", topic: "big").first ?? nil
    #expect((committed ?? 0) >= Int64(got), "committed \(committed.map(String.init) ?? "nothing") though the reader got \(got) records")
    #expect((committed ?? 0) <= (5000 + 65536) / 100)
    let next = try kq.ok("consume", "big", "--group", "g", "-n", "1", "--format", "%o\\n")
    #expect(next.output == "\(committed ?? 0)\n")
  }
}
