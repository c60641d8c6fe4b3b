import Foundation
import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// A compacted topic through the commands: gaps in offsets for --from, -n, --until, groups and
/// lag; --table; tombstones from -Z and JSON null; records without a key refused; topic compact.
@Suite("compacted topics")
struct CompactedTopicTests {
  let directory: TemporaryDirectory
  let clock = ManualClock(1_700_000_000_000)
  init() throws { directory = try TemporaryDirectory("kq-compact") }

  func kq(_ arguments: [String], stdin: String = "") -> (status: KQCommands.ExitStatus, out: String, err: String) {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": directory.at("data")], stdin: MemorySource(Array(stdin.utf8)), stdout: stdout,
      stderr: stderr, clock: clock)
    let status = KQ.run(arguments: ["kq"] + arguments, context: context)
    return (status, String(decoding: stdout.bytes, as: UTF8.self), String(decoding: stderr.bytes, as: UTF8.self))
  }

  /// Offsets 0–6: sealed segments [0, 3) and [3, 5), compacted, keep b at 1 (its next record,
  /// at 5, is in the active segment), a at 3 and tombstone c at 4 (its horizon is a day away);
  /// the active segment holds b at 5 and d at 6.
  func compactedTopic() throws {
    #expect(kq(["topic", "create", "t", "--config", "cleanup.policy=compact", "--config", "segment.bytes=1KiB",
      "--config", "min.cleanable.dirty.ratio=1"]).status == .success)
    let pad = String(repeating: "x", count: 300)
    #expect(kq(["produce", "t", "-K", ":"], stdin: "a:1\(pad)\nb:1\(pad)\nc:1\(pad)\na:2\(pad)\n").status == .success)
    #expect(kq(["produce", "t", "--json"], stdin: "{\"key\":\"c\",\"value\":null}\n").status == .success)
    #expect(kq(["produce", "t", "-K", ":"], stdin: "b:2\(pad)\nd:1\(pad)\n").status == .success)
    #expect(kq(["topic", "compact", "t"]).status == .success)
  }

  @Test("consumers read a compacted topic by offsets with gaps: --from in a gap, -n, --until, group commits and lag")
  func consumersHandleGaps() throws {
    try compactedTopic()
    #expect(kq(["consume", "t", "--format", "%o %k\\n"]).out == "1 b\n3 a\n4 c\n5 b\n6 d\n")
    #expect(kq(["consume", "t", "--from", "2", "-n", "1", "--format", "%o %k\\n"]).out == "3 a\n")
    #expect(kq(["consume", "t", "--until", "5", "--format", "%o %k\\n"]).out == "1 b\n3 a\n4 c\n")
    #expect(kq(["consume", "t", "--group", "g", "-n", "2", "--format", "%o\\n"]).out == "1\n3\n")
    let described = kq(["group", "describe", "g", "--json"]).out
    #expect(described.contains("\"committed_offset\":4") && described.contains("\"lag\":3"), "\(described)")
    #expect(kq(["consume", "t", "--group", "g", "--format", "%o\\n"]).out == "4\n5\n6\n")
    #expect(kq(["consume", "t", "--table", "--format", "%k=%s\\n"]).out.split(separator: "\n").map { $0.prefix(3) } == ["a=2", "b=2", "d=1"])
    let json = kq(["describe", "t", "--json"]).out
    #expect(json.contains("\"records\":7") && json.contains("\"records_kept\":5"), "\(json)")
  }

  @Test("a compacted topic refuses a record without a key, naming the line, and -Z writes a tombstone")
  func keysRequired() throws {
    #expect(kq(["topic", "create", "t", "--config", "cleanup.policy=compact"]).status == .success)
    let refused = kq(["produce", "t", "-K", ":"], stdin: "a:1\nno key here\n")
    #expect(refused.status == .dataError)
    #expect(refused.err.hasPrefix("kq: error: line 2: a record without a key cannot go to compacted topic t; 1 record before it was stored"), "\(refused.err)")
    #expect(kq(["produce", "t", "-K", ":", "-Z"], stdin: "a:\n").status == .success)
    #expect(kq(["consume", "t", "--json"]).out.contains("\"key\":\"a\",\"value\":null"))
    #expect(kq(["consume", "t", "--table"]).out == "")
  }

  @Test("topic compact refuses a topic that is not compacted, and cleanup.policy takes Kafka's values")
  func policy() throws {
    #expect(kq(["topic", "create", "t"]).status == .success)
    let refused = kq(["topic", "compact", "t"])
    #expect(refused.status == .usage && refused.err.contains("cleanup.policy=compact"), "\(refused.err)")
    #expect(kq(["topic", "alter", "t", "--config", "cleanup.policy=delete,compact"]).out == "t cleanup.policy=compact,delete\n")
    #expect(kq(["topic", "alter", "t", "--config", "cleanup.policy=wipe"]).status == .usage)
    #expect(kq(["topic", "alter", "t", "--config", "min.cleanable.dirty.ratio=1.5"]).status == .usage)
    #expect(kq(["topic", "alter", "t", "--config", "delete.retention.ms=2h"]).out == "t delete.retention.ms=7200000\n")
    #expect(kq(["topic", "alter", "t", "--config", "min.compaction.lag.ms=2h", "--config", "max.compaction.lag.ms=1h"]).status == .usage)
    let report = kq(["topic", "compact", "t", "--json"])
    #expect(report.out == "{\"topic\":\"t\",\"partitions\":[{\"partition\":0,\"segments_before\":1,\"bytes_before\":0,\"segments_after\":1,\"bytes_after\":0,\"cleaned_end\":0}]}\n", "\(report)")
  }

  @Test("describe shows the first record's timestamp, not the delete horizon its compacted batch carries")
  func firstTimestampIsNotTheHorizon() throws {
    #expect(kq(["topic", "create", "t", "--config", "cleanup.policy=compact", "--config", "segment.bytes=1KiB",
      "--config", "min.cleanable.dirty.ratio=1"]).status == .success)
    let pad = String(repeating: "x", count: 300)
    #expect(kq(["produce", "t", "--json"], stdin: "{\"key\":\"z\",\"value\":null}\n").status == .success)
    #expect(kq(["produce", "t", "-K", ":"], stdin: "a:1\(pad)\nb:1\(pad)\nc:2\(pad)\na:2\(pad)\nb:2\(pad)\n").status == .success)
    #expect(kq(["topic", "compact", "t"]).status == .success)
    #expect(kq(["consume", "t", "--format", "%o %k\\n", "-n", "1"]).out == "0 z\n")  // the tombstone's batch kept, with a horizon
    let json = kq(["describe", "t", "--json"]).out
    #expect(json.contains("\"first_timestamp\":\(clock.nowMillis())"), "\(json)")
  }

  @Test("kq pipe refuses a compacted OUT by name before it reads or commits anything")
  func pipeRefusesCompactedOutput() throws {
    #expect(kq(["produce", "in", "--create"], stdin: "a\nb\n").status == .success)
    #expect(kq(["topic", "create", "out", "--config", "cleanup.policy=compact"]).status == .success)
    let refused = kq(["pipe", "in", "out", "--group", "p", "--", "cat"])
    #expect(refused.status == .usage)
    #expect(refused.err == "kq: error: kq pipe cannot write to compacted topic out (cleanup.policy=compact): compaction removes the records its crash recovery counts (hint: pipe into a topic with cleanup.policy=delete; 'kq topic alter out --config cleanup.policy=delete' makes this one so)\n", "\(refused.err)")
    #expect(kq(["consume", "out"]).out == "")
    #expect(kq(["group", "list"]).out == "")
  }
}
