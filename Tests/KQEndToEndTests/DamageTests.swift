import Foundation
import KQStorage
import KQTestSupport
import Testing
import KQLog

/// Damaged files met by the built kq: writers refuse and name the damage (never cut intact
/// records), readers write out what came before it and then name it, and no byte on disk makes
/// kq trap (a trap shows as exit 132 or 133).
@Suite("damaged files", .localOnly("damages the data directory's files"))
struct DamageTests {
  static func log(_ kq: KQSandbox, _ topic: String = "t", base: Int64 = 0) -> String {
    FileNames.logFile(in: kq.path + "/\(topic)-0", base: base)
  }

  /// Topic `t` with one partition and `batches` batches of 5 records ("b-r"), one per produce.
  static func smallBatches(_ batches: Int) throws -> KQSandbox {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    for b in 0..<batches { try kq.ok("produce", "t", stdin: (0..<5).map { "\(b)-\($0)\n" }.joined()) }
    return kq
  }

  static func expectNoTrap(_ result: KQProcess.Result, _ what: String) {
    #expect(![132, 133, 134, 139].contains(result.status), "\(what) trapped: \(result)")
  }

  @Test(
    "synced records cut from the newest segment (mid-batch or at a batch's end) stop the writer; --repair makes writers continue past them, so no offset is given twice",
    arguments: [false, true])
  func syncedRecordsCut(atBatchEnd: Bool) throws {
    let kq = try Self.smallBatches(4)  // offsets 0-19, synced at each produce's exit
    try kq.ok("consume", "t", "--group", "g")  // commits 20
    let path = Self.log(kq)
    let batches = try Batches.scan(path)
    let cut = atBatchEnd ? batches[2].position : batches[2].position + 30
    try ByteSurgery.truncate(path, to: cut)
    let refused = try kq.run("produce", "t", "--print-offsets", stdin: "new-1\n")
    #expect(refused.status == 74, "\(refused)")
    #expect(
      refused.firstErrorLine.hasPrefix("kq: error: \(path) ends at offset 10, but offsets up to 19 were synced"), "\(refused)")
    #expect(try ByteSurgery.size(path) == cut, "the writer cut nothing")
    let found = try kq.run("verify")
    #expect(found.status == 74 && found.output.contains("kq.lock names offset 20, past the log end 10"), "\(found)")
    #expect(!found.output.contains("the next writer cuts them"), "\(found)")
    try kq.run("verify", "--repair")
    #expect(try kq.ok("verify").output.contains("no problems"))
    #expect(try kq.ok("produce", "t", "--print-offsets", stdin: "new-1\nnew-2\n").output == "0 20\n0 21\n")
    #expect(try kq.ok("consume", "t", "--group", "g").output == "new-1\nnew-2\n")
    let all = try kq.ok("consume", "t")
    #expect(all.output == (0..<2).flatMap { b in (0..<5).map { "\(b)-\($0)\n" } }.joined() + "new-1\nnew-2\n", "\(all)")
  }

  @Test("a partition folder removed by hand is damage, not a deletion: consume, produce and describe exit 74 naming it, and verify --repair makes it again")
  func missingPartitionFolder() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "m", "--partitions", "2")
    try kq.ok("produce", "m", "-p", "0", stdin: "kept\n")
    try FileManager.default.removeItem(atPath: kq.path + "/m-1")
    let expected = "kq: error: partition 1 of topic 'm' has no folder: \(kq.path)/m-1 is missing"
    for arguments in [["consume", "m"], ["produce", "m", "-p", "1"], ["describe", "m"]] {
      let result = try kq.run(arguments, stdin: Array("x\n".utf8))
      #expect(result.status == 74 && result.firstErrorLine.hasPrefix(expected), "\(arguments): \(result)")
      #expect(result.errors.contains("'kq verify --repair' creates it empty"), "\(result)")
    }
    #expect(try kq.run("verify", "--repair").status == 74)
    #expect(try kq.ok("consume", "m").output == "kept\n")
    try kq.ok("produce", "m", "-p", "1", stdin: "new\n")
    #expect(try kq.ok("consume", "m", "-p", "1").output == "new\n")
  }

  @Test("a producer meeting a flipped byte in a middle batch of the active segment exits 74 naming file, byte and offsets, and cuts nothing")
  func producerRefusesDamage() throws {
    let kq = try Self.smallBatches(6)
    let path = Self.log(kq)
    let batches = try Batches.scan(path)
    let damaged = batches[2]
    try ByteSurgery.flipByte(path, at: damaged.position + 70)
    let before = try ByteSurgery.read(path)
    let produced = try kq.run("produce", "t", stdin: "x\n")
    #expect(produced.status == 74, "\(produced)")
    #expect(
      produced.firstErrorLine.hasPrefix("kq: error: damaged record batch in \(path) at byte \(damaged.position): checksum mismatch"),
      "\(produced)")
    #expect(produced.firstErrorLine.contains("offsets 10 to 14 cannot be read"), "\(produced)")
    #expect(try ByteSurgery.read(path) == before)
    // Readers show the records before it, then name it.
    let consumed = try kq.run("consume", "t")
    #expect(consumed.status == 74, "\(consumed)")
    #expect(consumed.lines == (0..<2).flatMap { b in (0..<5).map { "\(b)-\($0)" } })
    #expect(consumed.firstErrorLine.hasPrefix("kq: error: corrupt record batch in \(path) at byte \(damaged.position): checksum mismatch"))
  }

  @Test("a consumer writes out every record before a corrupt batch, and a group commits exactly those, before exiting 74")
  func recordsBeforeDamageAreWrittenOut() throws {
    let kq = try KQSandbox()
    try kq.shell("seq -f '%099g' 0 19999 | kq produce big --create").checked()
    let path = Self.log(kq, "big")
    let batches = try Batches.scan(path)
    try #require(batches.count > 8 && batches[batches.count - 3].position > 3 << 18)  // past the 256 KiB output buffer
    let damaged = batches[batches.count - 3]
    try ByteSurgery.flipByte(path, at: damaged.position + damaged.header.size / 2)
    let intact = (0..<Int(damaged.header.baseOffset)).map { String(format: "%099d", $0) }
    let message = "kq: error: corrupt record batch in \(path) at byte \(damaged.position): checksum mismatch"
    for arguments in [["consume", "big"], ["consume", "big", "--format", "%s\\n"], ["consume", "big", "--group", "g"]] {
      let consumed = try kq.run(arguments, stdin: [])
      #expect(consumed.status == 74 && consumed.lines == intact, "\(arguments): \(consumed.lines.count) lines, \(consumed.errors)")
      #expect(consumed.firstErrorLine.hasPrefix(message), "\(arguments): \(consumed.errors)")
    }
    #expect(try kq.committed("g", topic: "big") == [damaged.header.baseOffset])
    let counting = "wc -l >> " + KQSandbox.quote(kq.file("counts"))
    let exec = try kq.run(["consume", "big", "--group", "e", "--batch", "7000", "--exec", counting], stdin: [])
    #expect(exec.status == 74 && exec.firstErrorLine.hasPrefix(message), "\(exec)")
    let counts = kq.read("counts").split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    #expect(counts.reduce(0, +) == intact.count)
    #expect(try kq.committed("e", topic: "big") == [damaged.header.baseOffset])
  }

  @Test(
    "a corrupt batch amid a bulk read of 3 partitions to a regular file or /dev/null: exit 74 naming its byte, every record before it written, no record twice",
    arguments: ["none", "lz4"])
  func damageInBulkRead(codec: String) throws {
    let kq = try KQSandbox()
    let lines = "awk 'BEGIN { for (p = 0; p < 3; p++) for (i = 0; i < 40000; i++) printf \"%d-%08d-%088d\\n\", p, i, i > (\"lines\" p) }'"
    try kq.shell(
      lines + " && kq topic create t -p 3 > /dev/null && for p in 0 1 2; do kq produce t --partition $p --compression \(codec) < lines$p || exit 1; done"
    ).checked()
    let path = FileNames.logFile(in: kq.path + "/t-1", base: 0)
    let batches = try Batches.scan(path)
    try #require(batches.count > 8)
    let damaged = batches[batches.count / 2]
    try ByteSurgery.flipByte(path, at: damaged.position + damaged.header.size / 2)
    let message = "kq: error: corrupt record batch in \(path) at byte \(damaged.position): checksum mismatch"
    for sink in ["> out", "> /dev/null", "| cat > out"] {
      let result = try kq.shell("rm -f out; kq consume t \(sink); echo \"status ${PIPESTATUS[0]}\"")
      #expect(result.output == "status 74\n", "\(codec) \(sink): \(result)")
      #expect(result.errors.hasPrefix(message), "\(codec) \(sink): \(result.errors)")
      guard sink != "> /dev/null" else { continue }
      // Each partition's records come out in order from its first, none twice; partition 1's
      // are exactly those before the damaged batch.
      var next = [0, 0, 0]
      for line in kq.read("out").split(separator: "\n") {
        let fields = line.split(separator: "-")
        guard fields.count == 3, let partition = Int(fields[0]), let index = Int(fields[1]), (0..<3).contains(partition) else {
          Issue.record("\(codec) \(sink): unexpected line \(line)")
          break
        }
        #expect(index == next[partition], "\(codec) \(sink): partition \(partition) record \(index)")
        next[partition] = index + 1
      }
      #expect(next[1] == Int(damaged.header.baseOffset), "\(codec) \(sink): \(next)")
    }
  }

  @Test("a record whose headers are malformed (CRC intact) is named with its batch's byte, not dropped or placed at byte -1")
  func malformedHeaders() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", "-H", "h=v", stdin: "first\n")
    try kq.ok("produce", "t", "-H", "h=v", stdin: "second\n")
    let path = Self.log(kq)
    let second = try #require(Batches.scan(path).last)
    // The record ends with its headers: count 1 (zig-zag 2), then "h" and "v" with lengths.
    try #require(Array(try ByteSurgery.read(path).suffix(5)) == [2, 2, 104, 2, 118])
    try ByteSurgery.rewriteBatch(path, batch: second.position, at: second.header.size - 5, with: [4])
    for format in [["--json"], ["--format", "%s %h\\n"], []] {
      let consumed = try kq.run(["consume", "t"] + format, stdin: [])
      #expect(consumed.status == 74, "\(format): \(consumed)")
      #expect(consumed.lines.count == 1, "\(format): the first record only")
      #expect(
        consumed.firstErrorLine.hasPrefix(
          "kq: error: corrupt record batch in \(path) at byte \(second.position): record 0 of the batch is malformed"),
        "\(format): \(consumed)")
    }
  }

  @Test("a record without headers whose header count says 5 (CRC intact): plain consume, to a pipe and to a file, stops there with 74 like every format")
  func brokenHeaderCount() throws {
    let kq = try KQSandbox()
    try kq.shell("seq 1 1000 | kq produce t --create").checked()
    let path = Self.log(kq)
    try ByteSurgery.breakHeaderCount(path, batchAt: 0, record: 14)
    for script in ["kq consume t | cat", "kq consume t > out; status=$?; cat out; exit $status", "kq consume t --format '%o %s\\n' | cut -d' ' -f2"] {
      let consumed = try kq.shell("set -o pipefail; " + script)
      #expect(consumed.status == 74, "\(script): \(consumed)")
      #expect(consumed.lines == (1...14).map(String.init), "\(script): the records before it, and no more")
      #expect(consumed.firstErrorLine.contains("record 14 of the batch is malformed"), "\(script): \(consumed)")
    }
  }

  @Test("a baseOffset of Int64.max in a batch header: describe, consume and produce exit 74, none traps")
  func baseOffsetAtMax() throws {
    let kq = try Self.smallBatches(3)
    let path = Self.log(kq)
    let second = try Batches.scan(path)[1]
    try ByteSurgery.overwrite(path, at: second.position, with: ByteSurgery.bigEndian(Int64.max))
    for arguments in [["describe", "t"], ["consume", "t"], ["produce", "t"], ["consume", "t", "--from", "7"]] {
      let result = try kq.run(arguments, stdin: Array("x\n".utf8))
      Self.expectNoTrap(result, "\(arguments)")
      #expect(result.status == 74, "\(arguments): \(result)")
      #expect(result.firstErrorLine.contains("\(path) at byte \(second.position)"), "\(arguments): \(result)")
    }
    // The records before it are written out first.
    #expect(try kq.run("consume", "t").lines == (0..<5).map { "0-\($0)" })
  }

  @Test("a valid-CRC batch with lastOffsetDelta Int32.max: consume and describe exit 74, none traps")
  func lastOffsetDeltaAtMax() throws {
    let kq = try Self.smallBatches(3)
    let path = Self.log(kq)
    let last = try #require(Batches.scan(path).last)
    try ByteSurgery.rewriteBatch(path, batch: last.position, at: 23, with: ByteSurgery.bigEndian(Int32.max))
    for arguments in [["consume", "t"], ["describe", "t"], ["consume", "t", "--from", "7"], ["produce", "t"]] {
      let result = try kq.run(arguments, stdin: Array("x\n".utf8))
      Self.expectNoTrap(result, "\(arguments)")
      #expect(result.status == 74 && result.firstErrorLine.contains("lastOffsetDelta 2147483647"), "\(arguments): \(result)")
    }
  }

  @Test("a stray segment file named 09223372036854775807.log: produce and consume exit 74 naming it, none traps")
  func strayMaxSegment() throws {
    let kq = try Self.smallBatches(2)
    let stray = Self.log(kq, base: Int64.max)
    try ByteSurgery.write([], to: stray)
    let produced = try kq.run("produce", "t", stdin: "x\n")
    #expect(produced.status == 74 && produced.firstErrorLine.contains(stray), "\(produced)")
    let consumed = try kq.run("consume", "t")
    #expect(consumed.status == 74 && consumed.lines.count == 10, "\(consumed)")
    #expect(consumed.firstErrorLine.contains("offsets 10 to 9223372036854775806 are missing: \(stray)"), "\(consumed)")
    Self.expectNoTrap(try kq.run("describe", "t"), "describe")
    Self.expectNoTrap(try kq.run("describe"), "describe all")
  }

  @Test("a kq.lock field of Int64.min is an unknown checkpoint: produce stores the record, no trap")
  func lockFieldAtMin() throws {
    let kq = try Self.smallBatches(1)
    // This boot's ID, as the last writer left it: only the retention time is out of range.
    let bootID = try #require(String(decoding: try ByteSurgery.read(kq.path + "/t-0/kq.lock"), as: UTF8.self)
      .split(separator: " ").dropFirst(2).first)
    try ByteSurgery.write(
      Array("kq-lock 1 \(bootID) -9223372036854775808 0\n".utf8), to: kq.path + "/t-0/kq.lock")
    let produced = try kq.run("produce", "t", "--print-offsets", stdin: "x\n")
    #expect(produced.status == 0 && produced.output == "0 5\n", "\(produced)")
  }

  @Test("an emptied topic config: consume and describe exit 74 naming it, not read only partition 0")
  func emptiedConfig() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "2")
    try kq.ok("produce", "t", "-p", "1", stdin: "one\n")
    let config = kq.path + "/topics/t/config"
    try ByteSurgery.write([], to: config)
    for arguments in [["consume", "t"], ["describe", "t"], ["produce", "t"]] {
      let result = try kq.run(arguments, stdin: Array("x\n".utf8))
      #expect(result.status == 74 && result.firstErrorLine == "kq: error: damaged file \(config): the file is empty (hint: 'kq verify --repair' keeps it aside and mends what it can; keep a copy of it for investigation)", "\(arguments): \(result)")
    }
  }
}
