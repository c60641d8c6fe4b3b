import Foundation
import KQTestSupport
import Testing

/// Issue 9, item 6, with real processes: a group consumer whose --exec command is slow while
/// retention removes the segments after the one it reads says so on stderr, with the range.
@Suite("retention under a slow group consumer", .localOnly("retention by size deleting segment files under a reader; Tansu 0.6.0 applies no retention"))
struct RetentionUnderReaderTests {
  /// Values `v00000…` padded to 1000 bytes: 16 to a 16 KiB segment.
  static func produce(_ range: Range<Int>) -> String {
    "awk 'BEGIN { for (i = \(range.lowerBound); i < \(range.upperBound); i++) printf \"v%05d%0994d\\n\", i, 0 }' | kq produce t"
  }

  @Test("a slow --exec batch under retention: the offsets passed over are named, the rest loaded")
  func slowExecUnderRetention() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--config", "segment.bytes=16KiB")
    #expect(try kq.shell(Self.produce(0..<1000) + " && mkfifo gate").status == 0)
    // The first batch's command waits at the gate; the others go straight through.
    try kq.write("cat >> out\nif [ ! -e open ]; then : > started; read x < gate; fi\n", to: "load.sh")
    let consumer = try kq.startShell("exec kq consume t --group g --batch 20 --exec 'sh load.sh'")
    #expect(eventually { FileManager.default.fileExists(atPath: kq.file("started")) })
    // The reader stopped inside the segment holding offset 20; it ends at the next base.
    let names = try FileManager.default.contentsOfDirectory(atPath: kq.path + "/t-0")
    let bases = names.filter { $0.hasSuffix(".log") }.compactMap { Int64($0.prefix(20)) }.sorted()
    let lostFrom = try #require(bases.first { $0 > 20 })
    try kq.ok("topic", "alter", "t", "--config", "retention.bytes=256KiB")
    #expect(try kq.shell(Self.produce(1000..<1100)).status == 0)  // rolls: retention runs
    let logStart = try #require(JSON.int(try JSON.object(kq.ok("describe", "t", "--json").output)["partitions"]
      .flatMap { ($0 as? [[String: Any]])?.first?["log_start_offset"] }))
    #expect(lostFrom < logStart && logStart < 1000, "lost from \(lostFrom), log start \(logStart)")
    #expect(try kq.shell("touch open && echo go > gate").status == 0)
    let ended = try consumer.finish()
    #expect(ended.status == 0, "\(ended)")
    #expect(
      ended.errors
        == "kq: warning: partition 0: offsets \(lostFrom) to \(logStart - 1) were deleted by retention before kq could read them; continuing at offset \(logStart)\n"
    )
    let loaded = kq.read("out").split(separator: "\n").map { Int64($0.dropFirst().prefix(5)) ?? -1 }
    #expect(loaded == Array(0..<lostFrom) + Array(logStart..<1000))
    #expect(try kq.committed("g", topic: "t") == [1000])
  }
}
