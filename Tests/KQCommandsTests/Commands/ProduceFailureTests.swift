import Foundation
import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Issue 9, item 8: when the disk fills in a run that spans segments or partitions, the count
/// in the message and the offsets printed are exactly the records that were stored, so a
/// retry of the rest duplicates nothing.
@Suite("produce failures")
struct ProduceFailureTests {
  let directory: TemporaryDirectory
  init() throws { directory = try TemporaryDirectory("kq-produce-failure") }

  func kq(_ arguments: [String], stdin: String = "", fileSystem: FileSystem = FileSystem())
    -> (status: KQCommands.ExitStatus, output: String, errors: String)
  {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": directory.at("data")], stdin: MemorySource(Array(stdin.utf8)), stdout: stdout,
      stderr: stderr, clock: ManualClock(), fileSystem: fileSystem)
    let status = KQ.run(arguments: ["kq"] + arguments, context: context)
    return (status, stdout.text, stderr.text)
  }

  /// A JSON line of a 900-byte value for `partition`: one record per 1 KiB segment.
  static func line(_ index: Int, partition: Int) -> String {
    #"{"value":"\#(index)-\#(String(repeating: "x", count: 900))","partition":\#(partition)}"# + "\n"
  }

  @Test("a full disk in the third segment of a partition's run: count and --print-offsets are exactly the records stored")
  func diskFullInsideARun() throws {
    #expect(kq(["topic", "create", "t", "--partitions", "2", "--config", "segment.bytes=1KiB"]).status == .success)
    // Input order: p0, p1, p0, p1, …; partition 0 is appended first, then partition 1, whose
    // third segment cannot be written.
    let input = (0..<10).map { Self.line($0, partition: $0 % 2) }.joined()
    let faults = FaultPlan()
    faults.arm(.write, pathSuffix: "t-1/00000000000000000002.log", .fail(.noSpace))
    let run = kq(["produce", "t", "--json", "--print-offsets"], stdin: input, fileSystem: faults.fileSystem)
    #expect(run.status == .ioError)
    let path = directory.at("data/t-1/00000000000000000002.log")
    #expect(
      run.errors
        == "kq: error: cannot write \(path): No space left on device; 7 records before it were stored (hint: free some disk space; records stored before this are kept)\n"
    )
    // Partition 0's five records and partition 1's first two, in input order.
    #expect(run.output == "0 0\n1 0\n0 1\n1 1\n0 2\n0 3\n0 4\n")
    let stored = kq(["consume", "t", "--format", "%p %o\\n"]).output.split(separator: "\n").sorted()
    #expect(stored == ["0 0", "0 1", "0 2", "0 3", "0 4", "1 0", "1 1"])
  }

  @Test("a full disk in the second MiB of bulk input: the count is exactly the records stored")
  func diskFullInBackgroundStore() throws {
    // 3 MiB of 100-byte lines in 256 KiB segments: the sixth segment starts past the first
    // MiB, in the second 1 MiB flush.
    let input = (0..<30_000).map { String(format: "%09d", $0) + String(repeating: "v", count: 90) + "\n" }.joined()
    let create = ["topic", "create", "t", "--config", "segment.bytes=256KiB"]
    #expect(kq(create + ["--dir", directory.at("probe")]).status == .success)
    #expect(kq(["produce", "t", "--dir", directory.at("probe")], stdin: input).status == .success)
    let bases = try FileManager.default.contentsOfDirectory(atPath: directory.at("probe/t-0"))
      .filter { $0.hasSuffix(".log") }.sorted()
    try #require(bases.count > 8, "\(bases)")
    let failing = bases[5]
    let stored = try #require(Int(failing.dropLast(4)))
    #expect(kq(create).status == .success)
    let faults = FaultPlan()
    faults.arm(.write, pathSuffix: "t-0/" + failing, .fail(.noSpace))
    let run = kq(["produce", "t"], stdin: input, fileSystem: faults.fileSystem)
    #expect(run.status == .ioError)
    let path = directory.at("data/t-0/" + failing)
    #expect(
      run.errors
        == "kq: error: cannot write \(path): No space left on device; \(stored) records before it were stored (hint: free some disk space; records stored before this are kept)\n"
    )
    #expect(kq(["consume", "t"]).output == input.split(separator: "\n").prefix(stored).map { $0 + "\n" }.joined())
  }

  @Test(
    "a full disk in the third MiB of compressed bulk input: the count is exactly the records stored",
    arguments: ["lz4", "zstd"])
  func diskFullWhileCompressing(codec: String) throws {
    // 60,000 lines of 100 bytes, 40 of them random hex (about half compresses away), in 256 KiB
    // segments: one starts in the third MiB of input, while full batches are being compressed
    // on the second thread.
    var random = SeededGenerator(seed: 12)
    let input = (0..<60_000).map { index in
      let noise = (0..<5).map { _ in String(format: "%08x", UInt32(truncatingIfNeeded: random.next())) }.joined()
      return String(format: "%09d", index) + " INFO [w\(index % 7)] GET /api/v1/users " + noise + String(repeating: " ", count: 19) + "\n"
    }.joined()
    let create = ["topic", "create", "t", "--config", "segment.bytes=256KiB"]
    #expect(kq(create + ["--dir", directory.at("probe")]).status == .success)
    #expect(kq(["produce", "t", "--compression", codec, "--dir", directory.at("probe")], stdin: input).status == .success)
    let bases = try FileManager.default.contentsOfDirectory(atPath: directory.at("probe/t-0"))
      .filter { $0.hasSuffix(".log") }.sorted()
    // The first segment that starts in the third MiB of input (past line 21,000), with one after it.
    let index = try #require(bases.firstIndex { (Int($0.dropLast(4)) ?? 0) > 21_000 }, "\(bases)")
    try #require(index + 1 < bases.count, "\(bases)")
    let failing = bases[index]
    let stored = try #require(Int(failing.dropLast(4)))
    #expect(kq(create).status == .success)
    let faults = FaultPlan()
    faults.arm(.write, pathSuffix: "t-0/" + failing, .fail(.noSpace))
    let run = kq(["produce", "t", "--compression", codec], stdin: input, fileSystem: faults.fileSystem)
    #expect(run.status == .ioError)
    let path = directory.at("data/t-0/" + failing)
    #expect(
      run.errors
        == "kq: error: cannot write \(path): No space left on device; \(stored) records before it were stored (hint: free some disk space; records stored before this are kept)\n"
    )
    #expect(kq(["consume", "t"]).output == input.split(separator: "\n").prefix(stored).map { $0 + "\n" }.joined())
  }

  @Test("a full disk in one partition of a keyed bulk flush: the count is exactly the records stored, each partition a prefix of its lines")
  func diskFullInKeyedBulkFlush() throws {
    // 60,000 keyed lines of about 100 bytes into 4 partitions of 256 KiB segments: bulk flushes
    // of up to 4 MiB (a flush appended while the next is encoded must count the same way).
    // Partition 2's segment two thirds into its records cannot be written.
    let input = (0..<60_000).map { "key\($0 % 101):" + String(format: "%09d", $0) + String(repeating: "v", count: 84) + "\n" }.joined()
    let create = ["topic", "create", "k", "--partitions", "4", "--config", "segment.bytes=256KiB"]
    #expect(kq(create + ["--dir", directory.at("probe")]).status == .success)
    #expect(kq(["produce", "k", "-K", ":", "--dir", directory.at("probe")], stdin: input).status == .success)
    let bases = try FileManager.default.contentsOfDirectory(atPath: directory.at("probe/k-2"))
      .filter { $0.hasSuffix(".log") }.sorted()
    try #require(bases.count > 4, "\(bases)")
    let failing = bases[bases.count * 2 / 3]
    #expect(kq(create).status == .success)
    let faults = FaultPlan()
    faults.arm(.write, pathSuffix: "k-2/" + failing, .fail(.noSpace))
    let run = kq(["produce", "k", "-K", ":"], stdin: input, fileSystem: faults.fileSystem)
    #expect(run.status == .ioError)
    let counted = run.errors.split(separator: ";").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) }
    let stored = kq(["consume", "k", "--format", "%p %k:%v\\n"]).output.split(separator: "\n")
    #expect(counted == stored.count, "\(run.errors)")
    let lines = input.split(separator: "\n")
    for partition in 0..<4 {
      let own = stored.filter { $0.hasPrefix("\(partition) ") }.map { $0.dropFirst(2) }
      let keys = Set(own.map { $0.prefix { $0 != ":" } })
      let expected = lines.filter { keys.contains($0.prefix { $0 != ":" }) }
      let isInputPrefix = own.elementsEqual(expected.prefix(own.count))
      #expect(isInputPrefix, "partition \(partition): \(own.count) records, not the first of its lines")
      if partition == 2 { #expect(own.count == Int(failing.dropLast(4))) }
    }
  }
}
