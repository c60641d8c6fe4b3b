import KQTestSupport
import Testing

/// `consume --group G --exec CMD`: batches of one partition piped into `sh -c CMD`, each
/// committed only when CMD exits 0.
@Suite("consume --exec batches")
struct GroupExecTests {
  /// A topic "t" with five records in partition 0 (a0…a4) and three in partition 1 (b0…b2).
  static func twoPartitions() throws -> KQSandbox {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "2")
    try kq.ok("produce", "t", "-p", "0", stdin: "a0\na1\na2\na3\na4\n")
    try kq.ok("produce", "t", "-p", "1", stdin: "b0\nb1\nb2\n")
    return kq
  }

  static let logBatch = #"n=$(wc -l); echo "$KQ_TOPIC $KQ_GROUP $KQ_PARTITION $KQ_FIRST_OFFSET $KQ_LAST_OFFSET $n" >> batches"#

  @Test("CMD runs once per batch of one partition, with KQ_TOPIC, KQ_GROUP, KQ_PARTITION and both offsets")
  func batchesAndEnvironment() throws {
    let kq = try Self.twoPartitions()
    let run = try kq.shell("kq consume t --group loader --batch 2 --exec \(KQSandbox.quote(Self.logBatch))")
    #expect(run.status == 0 && run.output == "" && run.errors == "", "\(run)")
    let batches = kq.read("batches").split(separator: "\n").map(String.init)
    #expect(batches.sorted() == [
      "t loader 0 0 1 2", "t loader 0 2 3 2", "t loader 0 4 4 1", "t loader 1 0 1 2", "t loader 1 2 2 1",
    ])
    #expect(batches.filter { $0.hasPrefix("t loader 0") } == ["t loader 0 0 1 2", "t loader 0 2 3 2", "t loader 0 4 4 1"])
    #expect(try kq.committed("loader", topic: "t") == [5, 3])
  }

  @Test("CMD reads the batch in the chosen output format")
  func batchContent() throws {
    let kq = try Self.twoPartitions()
    try kq.shell("kq consume t --group g -p 1 --format '%o=%s\\n' --exec 'cat >> out'").checked()
    #expect(kq.read("out") == "0=b0\n1=b1\n2=b2\n")
  }

  @Test("a failing CMD stops the run with its status and commits nothing of its batch; the next run gets it again")
  func failingCommand() throws {
    let kq = try Self.twoPartitions()
    let command = #"[ "$KQ_FIRST_OFFSET" = 2 ] && exit 7; cat >> out"#
    let failed = try kq.shell("kq consume t --group g -p 0 --batch 2 --exec \(KQSandbox.quote(command))")
    #expect(failed.status == 7, "\(failed)")
    #expect(failed.errors == "kq: error: '\(command)' exited with status 7 on partition 0, offsets 2 to 3; that batch was not "
      + "committed (hint: the next run gets these records again)\n")
    #expect(kq.read("out") == "a0\na1\n")
    #expect(try kq.committed("g", topic: "t") == [2, nil])
    try kq.shell("kq consume t --group g -p 0 --batch 2 --exec 'cat >> out'").checked()
    #expect(kq.read("out") == "a0\na1\na2\na3\na4\n")
    #expect(try kq.committed("g", topic: "t") == [5, nil])
  }

  @Test("a CMD killed by a signal ends kq with 128 plus the signal and no commit")
  func killedCommand() throws {
    let kq = try Self.twoPartitions()
    let run = try kq.shell("kq consume t --group g -p 1 --exec 'cat > /dev/null; kill -TERM $$'")
    #expect(run.status == 143, "\(run)")
    #expect(run.firstErrorLine.contains("was killed by signal 15 on partition 1, offsets 0 to 2"), "\(run)")
    #expect(try kq.committed("g", topic: "t") == [nil, nil])
  }

  @Test("--exec without --group, or with an empty or blank command, is a usage error that reads and commits nothing")
  func execNeedsGroupAndCommand() throws {
    let kq = try Self.twoPartitions()
    let noGroup = try kq.shell("kq consume t --exec 'cat >> out'")
    #expect(noGroup.status == 64 && noGroup.output == "", "\(noGroup)")
    #expect(noGroup.firstErrorLine == "kq: error: option '--exec' only works with '--group' (hint: add '--group' or drop '--exec')", "\(noGroup)")
    for command in ["''", "' '", "\"$(printf '\\t\\n')\""] {
      let empty = try kq.shell("kq consume t --group g --exec \(command)")
      #expect(empty.status == 64 && empty.output == "", "\(empty)")
      #expect(empty.firstErrorLine.hasPrefix("kq: error: invalid value '"), "\(empty)")
      #expect(empty.firstErrorLine.hasSuffix("' for '--exec' (hint: give the command that loads each batch, e.g. 'cat >> out')"), "\(empty)")
    }
    #expect(kq.read("out") == "")
    #expect(try kq.ok("group", "list").output == "")
  }

  @Test("a malformed record behind a right CRC stops consume, with or without --exec, as damage: 74, naming file and byte, after the records before it", .localOnly("damages a segment file"))
  func malformedRecordIsDamage() throws {
    let kq = try Self.twoPartitions()
    let path = kq.path + "/t-0/00000000000000000000.log"
    try ByteSurgery.malformRecord(path, batchAt: 0, record: 3)
    let message = "kq: error: corrupt record batch in \(path) at byte 0: record 3 of the batch is malformed "
    // --exec loads and commits the records before the damage, then reports it.
    let exec = try kq.shell("kq consume t -p 0 --group g --exec 'cat >> out'")
    #expect(exec.status == 74 && exec.errors.hasPrefix(message), "\(exec)")
    #expect(kq.read("out") == "a0\na1\na2\n")
    #expect(try kq.committed("g", topic: "t") == [3, nil])
    // The group starts at the damaged record: nothing more to deliver or commit.
    let group = try kq.shell("kq consume t -p 0 --group g")
    #expect(group.status == 74 && group.errors.hasPrefix(message) && group.output.isEmpty, "\(group)")
    #expect(try kq.committed("g", topic: "t") == [3, nil])
    // A plain consume writes out the records before the damage first.
    let plain = try kq.shell("kq consume t -p 0")
    #expect(plain.status == 74 && plain.errors.hasPrefix(message) && plain.output == "a0\na1\na2\n", "\(plain)")
  }

  @Test("-n N ends the run after N records, committing those")
  func maxRecords() throws {
    let kq = try Self.twoPartitions()
    try kq.shell("kq consume t --group g -p 0 -n 3 --batch 2 --exec 'cat >> out'").checked()
    #expect(kq.read("out") == "a0\na1\na2\n")
    #expect(try kq.committed("g", topic: "t") == [3, nil])
  }

  @Test("--batch-bytes keeps each batch within the size, except a batch of one larger record")
  func batchBytes() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: (0..<6).map { _ in String(repeating: "x", count: 99) + "\n" }.joined())
    try kq.shell("kq consume t --group g --batch-bytes 250 --exec \(KQSandbox.quote(Self.logBatch))").checked()
    let counts = kq.read("batches").split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
    #expect(counts == ["2", "2", "2"])
    try kq.ok("produce", "t", stdin: String(repeating: "y", count: 499) + "\nz\n")
    try kq.shell("kq consume t --group g --batch-bytes 250 --exec \(KQSandbox.quote(Self.logBatch))").checked()
    #expect(kq.read("batches").split(separator: "\n").suffix(2) == ["t g 0 6 6 1", "t g 0 7 7 1"])
  }
}
