import Foundation
import KQTestSupport
import Testing

/// `kq pipe IN OUT --group G -- CMD`: consume, command, produce, exactly once on one machine.
@Suite("kq pipe")
struct StreamPipeTests {
  /// A topic "in" of one partition holding `count` values v0…v(count-1), and an empty "out".
  static func sandbox(records count: Int = 20, outPartitions: Int = 1) throws -> KQSandbox {
    let kq = try KQSandbox()
    try kq.ok("produce", "in", "--create", stdin: (0..<count).map { "v\($0)\n" }.joined())
    try kq.ok("topic", "create", "out", "--partitions", String(outPartitions))
    return kq
  }

  static func values(_ range: Range<Int>, prefix: String = "x") -> [String] { range.map { "\(prefix)v\($0)" } }

  @Test("the transformed input reaches OUT once, the group is committed past it, and a second run writes nothing")
  func plainRun() throws {
    let kq = try Self.sandbox()
    let run = try kq.run("pipe", "in", "out", "--group", "g", "--batch", "7", "--", "sed", "s/^/x/")
    #expect(run.status == 0 && run.output == "" && run.errors == "", "\(run)")
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<20))
    #expect(try kq.committed("g", topic: "in") == [20])
    try kq.ok("pipe", "in", "out", "--group", "g", "--", "sed", "s/^/x/")
    #expect(try kq.ok("consume", "out").lines.count == 20)
  }

  @Test("OUT's compression.type is how the pipe stores its batches, as produce stores them; a later run reads their marks back", .localOnly("a cluster's broker applies the topic's compression.type itself"))
  func outputCompression() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "in", "--create", stdin: (0..<2000).map { "v\($0)\n" }.joined())
    try kq.ok("topic", "create", "out", "--config", "compression.type=lz4")
    try kq.ok("pipe", "in", "out", "--group", "g", "--batch", "700", "--", "sed", "s/^/x/")
    let described = try kq.ok("describe", "out")
    #expect(described.output.contains("lz4 100%"), "\(described)")
    try kq.ok("produce", "in", stdin: (2000..<2500).map { "v\($0)\n" }.joined())
    try kq.ok("pipe", "in", "out", "--group", "g", "--", "sed", "s/^/x/")
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<2500))
    #expect(try kq.ok("verify").output.contains("no problems"))
  }

  @Test("OUT among the inputs is refused before anything runs: the pipe would read its own output back without end")
  func outputAmongInputs() throws {
    let kq = try Self.sandbox(records: 3)
    for arguments in [["pipe", "in", "in", "--group", "g", "--", "cat"], ["pipe", "out", "--from-topics", "in,out", "--group", "g", "--", "cat"]] {
      let refused = try kq.run(arguments, stdin: [])
      #expect(refused.status == 64 && refused.firstErrorLine.contains("is also an input"), "\(refused)")
    }
    #expect(try kq.ok("consume", "in").lines == ["v0", "v1", "v2"])
    #expect(try kq.ok("consume", "out").output == "")
  }

  @Test("one CMD runs at a time, each with its own batch's offsets: the next one starts once the last has ended")
  func oneCommandAtATime() throws {
    let kq = try Self.sandbox()
    let logging = #"echo "start $KQ_FIRST_OFFSET $KQ_LAST_OFFSET" >> "$LOG"; sed s/^/x/; echo "end $KQ_FIRST_OFFSET" >> "$LOG""#
    let run = try kq.run(
      "pipe", "in", "out", "--group", "g", "--batch", "6", "--exec", logging, environment: ["LOG": kq.file("log")])
    #expect(run.status == 0, "\(run)")
    #expect(
      kq.read("log").split(separator: "\n").map(String.init)
        == ["start 0 5", "end 0", "start 6 11", "end 6", "start 12 17", "end 12", "start 18 19", "end 18"])
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<20))
  }

  @Test("a CMD failing on a batch writes nothing of it and commits the batches before; kq exits with its status naming the offsets")
  func failingBatch() throws {
    let kq = try Self.sandbox()
    let failing = #"if [ "$KQ_FIRST_OFFSET" = 10 ]; then cat > /dev/null; echo partial; exit 7; fi; sed s/^/x/"#
    let run = try kq.run("pipe", "in", "out", "--group", "g", "--batch", "5", "--exec", failing)
    #expect(run.status == 7, "\(run)")
    #expect(
      run.firstErrorLine
        == "kq: error: '\(failing)' exited with status 7 on topic 'in' partition 0, offsets 10 to 14; nothing of that batch was written to 'out' nor committed (hint: the next run processes these records again)",
      "\(run)")
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<10))
    #expect(try kq.committed("g", topic: "in") == [10])
    try kq.ok("pipe", "in", "out", "--group", "g", "--batch", "5", "--", "sed", "s/^/x/")
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<20))
  }

  @Test("the next batch's command, held ready while a CMD runs, never starts when that CMD fails")
  func heldCommandAfterFailure() throws {
    let kq = try Self.sandbox()
    // Batch 10-14 writes output after its whole input was fed: the next batch's supervisor is
    // forked then, held, and must be let go unstarted when this one exits 7.
    let failing =
      #"echo "start $KQ_FIRST_OFFSET" >> "$LOG"; if [ "$KQ_FIRST_OFFSET" = 10 ]; then cat > /dev/null; echo partial; sleep 0.2; exit 7; fi; sed s/^/x/"#
    let run = try kq.run("pipe", "in", "out", "--group", "g", "--batch", "5", "--exec", failing, environment: ["LOG": kq.file("log")])
    #expect(run.status == 7, "\(run)")
    #expect(kq.read("log").split(separator: "\n").map(String.init) == ["start 0", "start 5", "start 10"])
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<10))
    #expect(try kq.committed("g", topic: "in") == [10])
  }

  @Test("CMD failing at random batches over many runs: OUT ends with every output once, in order", arguments: [7, 8] as [UInt64])
  func randomFailures(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let kq = try Self.sandbox(records: 300)
    // Each batch fails on its first try with probability 1/3, decided by the test's seed.
    let fails = (0..<300).filter { _ in Int.random(in: 0..<3, using: &random) == 0 }.map(String.init)
    try kq.write(fails.joined(separator: "\n") + "\n", to: "fail-first")
    let command = #"if grep -qx "$KQ_FIRST_OFFSET" fail-first && ! grep -qx "$KQ_FIRST_OFFSET" failed; then echo "$KQ_FIRST_OFFSET" >> failed; cat > /dev/null; exit 3; fi; sed s/^/x/"#
    var runs = 0
    while runs < 200 {
      runs += 1
      let batch = String(Int.random(in: 1...40, using: &random))
      let run = try kq.shell("kq pipe in out --group g --batch \(batch) --exec \(KQSandbox.quote(command))")
      if run.status == 0 { break }
      #expect(run.status == 3, "\(run)")
    }
    #expect(runs > 1, "no batch failed: the test tests nothing")
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<300))
    #expect(try kq.committed("g", topic: "in") == [300])
  }

  @Test("a CMD slower than --timeout is killed with its whole process group; kq exits 75 naming the offsets and writes nothing of the batch")
  func timeout() throws {
    let kq = try Self.sandbox(records: 6)
    let slow = #"if [ "$KQ_FIRST_OFFSET" = 3 ]; then echo $$ > "$STARTED"; sh -c 'sleep 30; echo late' & wait; fi; sed s/^/x/"#
    let run = try kq.run(
      ["pipe", "in", "out", "--group", "g", "--batch", "3", "--timeout", "300ms", "--exec", slow], stdin: [],
      environment: ["STARTED": kq.file("started")])
    #expect(run.status == 75, "\(run)")
    #expect(run.firstErrorLine.hasPrefix("kq: error: '\(slow)' took longer than --timeout 300ms on topic 'in' partition 0, offsets 3 to 5 and was killed; nothing"), "\(run)")
    let shell = Int32(kq.read("started").filter(\.isNumber)) ?? 0
    #expect(shell > 0 && !ProcessTable.isAlive(shell))
    #expect(ProcessTable.livingMembers(ofGroup: shell).isEmpty, "the command's children outlived the timeout")
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<3))
    #expect(try kq.committed("g", topic: "in") == [3])
  }

  @Test("a batch larger than a pipe is fed by a thread that stops when the command is killed: --timeout and SIGTERM end kq at once", .localOnly("checks the offset a data directory's pipe commits at its start; on a cluster a pipe commits only in its transactions"), arguments: ["timeout", "signal"])
  func largeBatchStops(how: String) throws {
    let kq = try KQSandbox()
    let line = String(repeating: "y", count: 99) + "\n"
    try kq.ok("produce", "in", "--create", stdin: String(repeating: line, count: 30_000))  // 3 MB: one batch
    try kq.ok("topic", "create", "out")
    // The command never reads its stdin: the feeder blocks on a full pipe until it is stopped.
    let stuck = #"touch "$REACHED"; sleep 30"#
    var arguments = ["pipe", "in", "out", "--group", "g", "--exec", stuck]
    if how == "timeout" { arguments += ["--timeout", "300ms"] }
    let run = try kq.start(arguments, environment: ["REACHED": kq.file("reached")])
    if how == "signal" {
      #expect(eventually { FileManager.default.fileExists(atPath: kq.file("reached")) })
      run.signal(SIGTERM)
    }
    let ended = try run.finish(timeout: 20)
    #expect(ended.status == (how == "timeout" ? 75 : 143), "\(ended)")
    #expect(try kq.ok("consume", "out").lines == [])
    #expect(try kq.committed("g", topic: "in") == [0])
  }

  @Test("a CMD that writes nothing: OUT stays empty and the group moves past the input")
  func writesNothing() throws {
    let kq = try Self.sandbox()
    try kq.ok("pipe", "in", "out", "--group", "g", "--batch", "6", "--exec", "cat > /dev/null")
    #expect(try kq.ok("consume", "out").lines == [])
    #expect(try kq.committed("g", topic: "in") == [20])
  }

  @Test("a CMD that writes more records than it reads: all of them, once, in its order")
  func writesMore() throws {
    let kq = try Self.sandbox(records: 5)
    try kq.ok("pipe", "in", "out", "--group", "g", "--batch", "2", "--", "sed", "p")
    #expect(try kq.ok("consume", "out").lines == ["v0", "v0", "v1", "v1", "v2", "v2", "v3", "v3", "v4", "v4"])
  }

  @Test("a CMD that exits 0 before reading all of its batch: what it wrote is the batch's output, and the batch is done")
  func exitsEarly() throws {
    let kq = try Self.sandbox(records: 2000)
    // head exits after one line; the rest of a large batch finds no reader (EPIPE for kq, not a failure).
    try kq.ok("pipe", "in", "out", "--group", "g", "--batch", "1000", "--", "head", "-1")
    #expect(try kq.ok("consume", "out").lines == ["v0", "v1000"])
    #expect(try kq.committed("g", topic: "in") == [2000])
  }

  @Test("killed between OUT's append and the commit, the next run writes no output twice: not at-least-once in disguise", .localOnly("on a cluster OUT's records wait in an open transaction, invisible to read-committed readers until the commit, so the precondition cannot be seen (ClusterTransactionTests kill pipe)"))
  func killAfterAppendBeforeCommit() throws {
    let kq = try Self.sandbox()
    // The third batch stops and tells the test; the first two are then appended to OUT, not
    // committed (1h). (kq starts a batch's command before appending the batch before it, so
    // the test waits for both.)
    let blocking = #"if [ "$KQ_FIRST_OFFSET" = 10 ]; then touch "$REACHED"; sleep 30; fi; sed s/^/x/"#
    let first = try kq.start(
      "pipe", "in", "out", "--group", "g", "--batch", "5", "--commit-interval", "1h", "--exec", blocking,
      environment: ["REACHED": kq.file("reached")])
    #expect(eventually { FileManager.default.fileExists(atPath: kq.file("reached")) || !first.process.isRunning })
    #expect(eventually { (try? kq.ok("consume", "out").lines.count) == 10 || !first.process.isRunning })
    first.signal(SIGKILL)
    #expect(try first.finish().status == 137)
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<10), "the precondition: output written")
    #expect(try kq.committed("g", topic: "in") == [0], "the precondition: nothing committed")
    try kq.ok("pipe", "in", "out", "--group", "g", "--batch", "3", "--", "sed", "s/^/x/")
    #expect(try kq.ok("consume", "out").lines == Self.values(0..<20))
    #expect(try kq.committed("g", topic: "in") == [20])
  }

  @Test("--each runs CMD once per record with its offset, and what each run writes is stored in input order")
  func each() throws {
    let kq = try Self.sandbox(records: 4)
    try kq.ok("pipe", "in", "out", "--group", "g", "--each", "--exec", #"read v; echo "$v@$KQ_FIRST_OFFSET-$KQ_LAST_OFFSET""#)
    #expect(try kq.ok("consume", "out").lines == ["v0@0-0", "v1@1-1", "v2@2-2", "v3@3-3"])
  }

  @Test("-K keys place records by murmur2 as produce does, and each key keeps its order")
  func keyedPlacement() throws {
    let kq = try KQSandbox()
    let lines = (0..<40).map { "k\($0 % 7):\($0)\n" }.joined()
    try kq.ok("produce", "in", "--create", stdin: lines)
    try kq.ok("topic", "create", "out", "--partitions", "4")
    try kq.ok("topic", "create", "reference", "--partitions", "4")
    try kq.ok("produce", "reference", "-K", ":", stdin: lines)
    try kq.ok("pipe", "in", "out", "--group", "g", "-K", ":", "--batch", "9", "--", "cat")
    var total = 0
    for partition in 0..<4 {
      let format = ["-p", String(partition), "--format", "%k %s\\n"]
      let reference = try kq.run(["consume", "reference"] + format, stdin: []).lines
      #expect(try kq.run(["consume", "out"] + format, stdin: []).lines == reference, "partition \(partition)")
      total += reference.count
    }
    #expect(total == 40)
  }

  @Test("--json gives CMD consume's envelopes and keeps what it writes back: keys, headers, timestamps and a chosen partition", .localOnly("the kq.pipe header is the data directory's exactly-once marker; on a cluster transactions do that work"))
  func jsonEnvelopes() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "in", "--create", "--json", stdin: #"{"key":"a","value":"1","headers":[["h","x"]],"timestamp":1700000000000}"# + "\n")
    try kq.ok("topic", "create", "out", "--partitions", "3")
    let edit = #"sed 's/"value":"1"/"value":"2"/; s/"partition":0/"partition":2/'"#
    try kq.ok("pipe", "in", "out", "--group", "g", "--json", "--exec", edit)
    let records = try kq.records("out")
    #expect(records.count == 1)
    #expect(JSON.field(records.first?["key"]) == "a" && JSON.field(records.first?["value"]) == "2")
    #expect(JSON.int(records.first?["partition"]) == 2 && JSON.int(records.first?["timestamp"]) == 1_700_000_000_000)
    #expect(JSON.headers(records.first?["headers"]) == [["h", "x"], ["kq.pipe", "g in 0 0 1 0"]])
  }

  @Test("--keep-partition maps partition N to N, and is refused when OUT has fewer partitions")
  func keepPartition() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "in", "--partitions", "3")
    for partition in 0..<3 { try kq.ok("produce", "in", "-p", String(partition), stdin: "p\(partition)\n") }
    try kq.ok("topic", "create", "small", "--partitions", "2")
    let refused = try kq.run("pipe", "in", "small", "--group", "g", "--keep-partition", "--", "cat")
    #expect(refused.status == 65 && refused.firstErrorLine.hasPrefix("kq: error: --keep-partition: 'small' has 2 partitions"), "\(refused)")
    try kq.ok("topic", "create", "out", "--partitions", "3")
    try kq.ok("pipe", "in", "out", "--group", "g", "--keep-partition", "--", "cat")
    #expect(try kq.ok("consume", "out", "--format", "%p %s\\n").lines.sorted() == ["0 p0", "1 p1", "2 p2"])
  }

  @Test("--from-topics reads several topics into one")
  func severalInputs() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "a", "--create", stdin: "a0\na1\n")
    try kq.ok("produce", "b", "--create", stdin: "b0\n")
    try kq.ok("topic", "create", "out")
    try kq.ok("pipe", "--from-topics", "a,b", "out", "--group", "g", "--", "cat")
    #expect(try kq.ok("consume", "out").lines.sorted() == ["a0", "a1", "b0"])
    #expect(try kq.committed("g", topic: "a") == [2] && kq.committed("g", topic: "b") == [1])
  }

  @Test("CMD's words go after --, and a missing command is refused before anything is read")
  func commandWords() throws {
    let kq = try Self.sandbox(records: 1)
    let stray = try kq.run("pipe", "in", "out", "--group", "g", "cat")
    #expect(stray.status == 64 && stray.firstErrorLine.contains("put the command after '--'"), "\(stray)")
    let missing = try kq.run("pipe", "in", "out", "--group", "g", "--", "no-such-command-kq")
    #expect(missing.status == 127 && missing.firstErrorLine.hasPrefix("kq: error: cannot run 'no-such-command-kq': no such command"), "\(missing)")
    let both = try kq.run("pipe", "in", "out", "--group", "g", "--exec", "cat", "--", "cat")
    #expect(both.status == 64, "\(both)")
    #expect(try kq.ok("group", "list").lines == [], "a refused run took a lease or committed")
  }

  @Test("output OUT cannot take stops kq with 65 and writes nothing of the batch")
  func badOutput() throws {
    let kq = try Self.sandbox(records: 4)
    let run = try kq.run("pipe", "in", "out", "--group", "g", "--batch", "2", "--json", "--exec", #"if [ "$KQ_FIRST_OFFSET" = 2 ]; then echo '{"nope":1}'; else cat; fi"#)
    #expect(run.status == 65 && run.firstErrorLine.contains("offsets 2 to 3"), "\(run)")
    #expect(try kq.ok("consume", "out").lines == ["v0", "v1"])
    #expect(try kq.committed("g", topic: "in") == [2])
  }

  @Test("with -f, records produced later are processed as they arrive")
  func follows() throws {
    let kq = try Self.sandbox(records: 2)
    let follower = try kq.start("pipe", "in", "out", "--group", "g", "-f", "--", "sed", "s/^/x/")
    let reader = try kq.start("consume", "out", "-f")
    #expect(reader.readLine() == "xv0" && reader.readLine() == "xv1")
    try kq.ok("produce", "in", stdin: "v2\n")
    #expect(reader.readLine() == "xv2")
    follower.signal(SIGTERM)
    #expect(try follower.finish().status == 143)
    #expect(try kq.committed("g", topic: "in") == [3])
  }
}
