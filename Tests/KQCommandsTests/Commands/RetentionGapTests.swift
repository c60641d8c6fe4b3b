import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Issue 9, item 6: retention removing segments under a slow reader is said on stderr, with the
/// exact offsets passed over, with and without a group; a group commits no further than it read.
@Suite("retention under a reader")
struct RetentionGapTests {
  /// stdout that runs `onFirstWrite` once, before taking the first bytes: the moment a
  /// consumer is part-way through the log, as if its reader were slow.
  final class HookSink: ByteSink {
    var bytes: [UInt8] = []
    var onFirstWrite: (([UInt8]) -> Void)?
    var descriptor: CInt? { nil }
    func write(_ raw: UnsafeRawBufferPointer) throws(Errno) {
      if let hook = onFirstWrite {
        onFirstWrite = nil
        hook(Array(raw))
      }
      bytes.append(contentsOf: raw)
    }
  }

  let directory: TemporaryDirectory
  let clock = ManualClock(1_700_000_000_000)
  init() throws { directory = try TemporaryDirectory("kq-gap") }

  @discardableResult
  func kq(_ arguments: [String], stdin: String = "", stdout: any ByteSink = MemorySink(), stderr: MemorySink = MemorySink())
    -> KQCommands.ExitStatus
  {
    let context = Context(
      environment: ["KQ_DIR": directory.at("data")], stdin: MemorySource(Array(stdin.utf8)), stdout: stdout,
      stderr: stderr, clock: clock)
    return KQ.run(arguments: ["kq"] + arguments, context: context)
  }

  /// Values `v00000…` padded to 1000 bytes: 16 to a 16 KiB segment.
  static func values(_ range: Range<Int>) -> String {
    let padding = String(repeating: ".", count: 994)
    return range.map { "v" + String(repeating: "0", count: 5 - String($0).count) + String($0) + padding + "\n" }.joined()
  }

  @Test("a consumer whose next segments retention removed says which offsets it passed over, and goes on", arguments: [false, true])
  func gapIsReported(group: Bool) throws {
    #expect(kq(["topic", "create", "t", "--config", "segment.bytes=16KiB"]) == .success)
    #expect(kq(["produce", "t"], stdin: Self.values(0..<1000)) == .success)
    let folder = directory.at("data/t-0")
    var lostFrom: Int64 = -1
    let stdout = HookSink()
    stdout.onFirstWrite = { written in
      // The consumer has read `delivered` records; its segment ends at the next base.
      let delivered = Int64(written.filter { $0 == 10 }.count)
      lostFrom = (try? SegmentFiles.bases(in: folder, fileSystem: FileSystem()).first { $0 >= delivered }) ?? -1
      _ = kq(["topic", "alter", "t", "--config", "retention.bytes=256KiB"])
      _ = kq(["produce", "t"], stdin: Self.values(1000..<1100))  // rolls, and retention runs
    }
    let stderr = MemorySink()
    let status = kq(["consume", "t"] + (group ? ["--group", "g"] : []), stdout: stdout, stderr: stderr)
    #expect(status == .success)
    let describe = MemorySink()
    kq(["describe", "t", "--json"], stdout: describe)
    let summary = try #require(JSON.object(describe.text)["partitions"] as? [[String: Any]]).first
    let logStart = try #require(JSON.int(summary?["log_start_offset"]))
    #expect(lostFrom > 0 && lostFrom < logStart && logStart < 1000, "lost from \(lostFrom), log start \(logStart)")
    #expect(
      stderr.text
        == "kq: warning: partition 0: offsets \(lostFrom) to \(logStart - 1) were deleted by retention before kq could read them; continuing at offset \(logStart)\n"
    )
    let offsets = String(decoding: stdout.bytes, as: UTF8.self).split(separator: "\n").map { Int64($0.dropFirst().prefix(5)) ?? -1 }
    #expect(offsets == Array(0..<lostFrom) + Array(logStart..<1000))
    if group {
      let committed = MemorySink()
      kq(["group", "describe", "g", "--json"], stdout: committed)
      let row = try #require(JSON.object(committed.text)["partitions"] as? [[String: Any]]).first
      #expect(JSON.int(row?["committed_offset"]) == 1000)
    }
  }

  @Test("a group whose stop offset retention passed commits the stop offset, not the batch beyond it")
  func gapPastTheStop() throws {
    #expect(kq(["topic", "create", "t", "--config", "segment.bytes=16KiB"]) == .success)
    #expect(kq(["produce", "t"], stdin: Self.values(0..<1000)) == .success)
    let folder = directory.at("data/t-0")
    var lostFrom: Int64 = -1
    let stdout = HookSink()
    stdout.onFirstWrite = { written in
      let delivered = Int64(written.filter { $0 == 10 }.count)
      lostFrom = (try? SegmentFiles.bases(in: folder, fileSystem: FileSystem()).first { $0 >= delivered }) ?? -1
      _ = kq(["topic", "alter", "t", "--config", "retention.bytes=32KiB"])
      _ = kq(["produce", "t"], stdin: Self.values(1000..<1100))
    }
    let stderr = MemorySink()
    #expect(kq(["consume", "t", "--group", "g"], stdout: stdout, stderr: stderr) == .success)
    #expect(lostFrom > 0)
    #expect(stderr.text == "kq: warning: partition 0: offsets \(lostFrom) to 999 were deleted by retention before kq could read them\n")
    let offsets = String(decoding: stdout.bytes, as: UTF8.self).split(separator: "\n").map { Int64($0.dropFirst().prefix(5)) ?? -1 }
    #expect(offsets == Array(0..<lostFrom))
    let committed = MemorySink()
    kq(["group", "describe", "g", "--json"], stdout: committed)
    let row = try #require(JSON.object(committed.text)["partitions"] as? [[String: Any]]).first
    #expect(JSON.int(row?["committed_offset"]) == 1000)
  }
}
