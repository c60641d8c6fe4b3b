import Foundation
import KQStorage
import KQTestSupport
import Testing
import KQLog

/// `kq verify` as a process: exit statuses, text and JSON, repair of a damaged middle segment
/// and of the active segment's tail (writers continue past the damaged offsets, consumers name
/// the gap once), and a sample of the corruption search run through the built kq.
@Suite("kq verify", .localOnly("kq verify checks a data directory only"))
struct VerifyTests {
  /// 30 lines of 40 bytes: more than one 1 KiB segment.
  static func lines(_ round: Int) -> String {
    (0..<30).map { "r\(round)-\($0)-" + String(repeating: "x", count: 32) + "\n" }.joined()
  }

  static func flip(_ path: String, at position: Int) throws { try ByteSurgery.flipByte(path, at: position) }

  @Test("exit 0 clean, 74 damaged (file and byte named), 64 usage, 66 no such topic; --json prints findings and a summary")
  func statuses() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--config", "segment.bytes=1024")
    for round in 0..<4 { try kq.ok("produce", "t", stdin: Self.lines(round)) }
    #expect(try kq.run("verify").status == 0)
    #expect(try kq.run("verify", "--bogus").status == 64)
    #expect(try kq.run("verify", "nope").status == 66)
    #expect(try kq.run("verify", "../x").status == 64)
    let bases = try SegmentFiles.bases(in: kq.path + "/t-0", fileSystem: FileSystem())
    try #require(bases.count >= 3)
    let middle = FileNames.logFile(in: kq.path + "/t-0", base: bases[1])
    try Self.flip(middle, at: 70)
    let damaged = try kq.run("verify")
    #expect(damaged.status == 74, "\(damaged)")
    #expect(damaged.output.contains("t-0: damaged record batch in \(middle) at byte 0: checksum mismatch"), "\(damaged)")
    let json = try kq.run("verify", "--json")
    #expect(json.status == 74)
    let objects = try JSON.lines(json.output)
    #expect(objects.first?["kind"] as? String == "damaged_batch")
    #expect(JSON.int(objects.first?["position"]) == 0)
    #expect(objects.last?["kind"] as? String == "summary")
    #expect(JSON.int(objects.last?["problems"]) == 1)
  }

  @Test("--repair moves a damaged sealed segment aside; consumers warn once and go on; writers continue; verify is clean")
  func repairMiddleSegment() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--config", "segment.bytes=1024")
    for round in 0..<4 { try kq.ok("produce", "t", stdin: Self.lines(round)) }
    let folder = kq.path + "/t-0"
    let bases = try SegmentFiles.bases(in: folder, fileSystem: FileSystem())
    try #require(bases.count >= 3)
    try Self.flip(FileNames.logFile(in: folder, base: bases[1]), at: 70)
    let consumedBefore = try kq.run("consume", "t")
    #expect(consumedBefore.status == 74)
    let repaired = try kq.run("verify", "--repair")
    #expect(repaired.status == 74, "\(repaired)")
    #expect(repaired.output.contains("offsets \(bases[1]) to \(bases[2] - 1) are now unreadable"), "\(repaired)")
    #expect(FileManager.default.fileExists(atPath: folder + "/damaged/" + FileNames.segmentBaseName(bases[1]) + ".log"))
    #expect(try kq.run("verify").status == 0)
    let consumed = try kq.run("consume", "t")
    #expect(consumed.status == 0, "\(consumed)")
    #expect(consumed.output.split(separator: "\n").count == 120 - Int(bases[2] - bases[1]))
    #expect(consumed.errors.contains("offsets \(bases[1]) to \(bases[2] - 1) were moved aside as damaged"), "\(consumed)")
    let produced = try kq.run("produce", "t", "--print-offsets", stdin: "new\n")
    #expect(produced.output == "0 120\n", "\(produced)")
    #expect(try kq.run("verify").status == 0)
  }

  @Test("--repair of damage in the active segment keeps the bytes aside and starts writers past every offset they held")
  func repairActiveTail() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    for round in 0..<3 { try kq.ok("produce", "t", stdin: (0..<5).map { "r\(round)-\($0)\n" }.joined()) }
    let log = FileNames.logFile(in: kq.path + "/t-0", base: 0)
    let batches = try Batches.scan(log)
    #expect(batches.count == 3)
    try Self.flip(log, at: batches[1].position + 70)
    let repaired = try kq.run("verify", "--repair")
    #expect(repaired.output.contains("offsets 5 to 14 are now unreadable"), "\(repaired)")
    #expect(try kq.run("verify").status == 0)
    let produced = try kq.run("produce", "t", "--print-offsets", stdin: "new\n")
    #expect(produced.output == "0 15\n", "\(produced)")
    let consumed = try kq.run("consume", "t")
    #expect(consumed.output == (0..<5).map { "r0-\($0)\n" }.joined() + "new\n", "\(consumed)")
    #expect(try kq.run("verify").status == 0)
  }

  @Test("a sample of the corruption search through the built kq: no trap, statuses 0 or 74, one-line errors")
  func spawnedSample() throws {
    let seed = ProcessInfo.processInfo.environment["KQ_SEARCH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
    let search = try CorruptionSearch(records: 240)
    var failures: [String] = []
    for damage in search.randomPlan(seed: seed, count: 24) {
      try search.apply(damage)
      for arguments in [["verify"], ["consume", "t"], ["describe", "t"], ["group", "describe", "g"], ["verify", "--repair"], ["produce", "t", "--sync", "none"]] {
        let result = try KQProcess.run(["--dir", search.root] + arguments, directory: nil, stdin: "x\n")
        let lines = result.errors.split(separator: "\n")
        if ![0, 74].contains(result.status) || !lines.allSatisfy({ $0.hasPrefix("kq: ") }) {
          failures.append("seed \(seed), \(damage): kq \(arguments.joined(separator: " ")) -> \(result.status): \(result.errors)")
        }
      }
      let after = try KQProcess.run(["--dir", search.root, "verify"], directory: nil, stdin: "")
      if after.status != 0 { failures.append("seed \(seed), \(damage): not clean after repair: \(after.output)") }
      try search.restoreAll()
    }
    let summary = failures.joined(separator: "\n")
    #expect(failures.isEmpty, "\(summary)")
  }

  @Test("--repair while producers write: it takes each partition's append lock, so no record is lost or doubled")
  func repairBesideWriters() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "2", "--config", "segment.bytes=4KiB")
    var expected: [String] = []
    for round in 0..<4 {
      let lines = (0..<3000).map { "w\(round)-\($0)" }
      expected += lines
      let producer = try kq.start("produce", "t", "--sync", "none")
      // Writes in pieces while repairs run, so that appends and repairs meet.
      for piece in stride(from: 0, to: lines.count, by: 500) {
        producer.write(lines[piece..<min(piece + 500, lines.count)].joined(separator: "\n") + "\n")
        let repaired = try kq.run("verify", "--repair")
        #expect([0, 74].contains(repaired.status), "\(repaired)")
      }
      producer.closeInput()
      let result = try producer.finish()
      #expect(result.status == 0, "\(result)")
    }
    let consumed = try kq.run("consume", "t")
    #expect(consumed.status == 0)
    #expect(consumed.output.split(separator: "\n").map(String.init).sorted() == expected.sorted())
    #expect(try kq.run("verify").status == 0)
  }

  @Test("a newest segment that a roll sealed while verify read it (its .timeindex has the sealing entry) is not damage")
  func sealedWhileRead() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--config", "segment.bytes=1024")
    for round in 0..<2 { try kq.ok("produce", "t", stdin: Self.lines(round)) }
    let folder = kq.path + "/t-0"
    let bases = try SegmentFiles.bases(in: folder, fileSystem: FileSystem())
    let newest = try #require(bases.last)
    // The state verify meets mid-roll: the sealed segment is the last it listed.
    for path in [FileNames.logFile(in: folder, base: newest), FileNames.offsetIndexFile(in: folder, base: newest),
                 FileNames.timeIndexFile(in: folder, base: newest)] {
      try FileManager.default.removeItem(atPath: path)
    }
    try Data().write(to: URL(fileURLWithPath: folder + "/kq.lock"))
    let verified = try kq.run("verify")
    #expect(verified.status == 0, "\(verified)")
  }
}
