import Foundation
import KQTestSupport
import Testing

/// Issue 13's kill test: two `kq pipe` processes of one group share a long input and are
/// killed with SIGKILL at random moments, one at a time, and started again at once. OUT must
/// hold exactly the transformed input: every output once, each key's in order.
/// KQ_PIPE_KILLS (default 200) and KQ_PIPE_RECORDS (default 100000) scale it.
@Suite("kq pipe under kill -9", .localOnly("ClusterTransactionTests runs its kill test on a cluster, with --keep-partition for Tansu 0.6.0's overlapping transactions"))
struct PipeKillTests {
  static let kills = ProcessInfo.processInfo.environment["KQ_PIPE_KILLS"].flatMap { Int($0) } ?? 200
  static let records = ProcessInfo.processInfo.environment["KQ_PIPE_RECORDS"].flatMap { Int($0) } ?? 100_000

  @Test("kill -9 at random moments of two processes of one group: OUT holds the transformed input once, in order per key", arguments: [13] as [UInt64])
  func killedAtRandom(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let kq = try KQSandbox()
    let keys = 97
    try kq.ok("topic", "create", "in", "--partitions", "4")
    try kq.ok("topic", "create", "out", "--partitions", "3")
    // Keyed input: key kN (so each key's records are in one input partition, in order), and a
    // value that repeats the key, since CMD sees values only.
    let lines = (0..<Self.records).map { "k\($0 % keys)|k\($0 % keys):\(100_000_000 + $0)\n" }
    try kq.run(["produce", "in", "-K", "|"], stdin: Array(lines.joined().utf8)).checked()

    func start() throws -> KQProcess.Running {
      let batch = String(Int.random(in: 20...300, using: &random))
      let interval = ["0", "50ms", "1s"][Int.random(in: 0..<3, using: &random)]
      return try kq.start(
        "pipe", "in", "out", "--group", "g", "--wait", "-K", ":", "--batch", batch, "--commit-interval", interval, "--",
        "sed", "s/:/:x/")
    }
    var running = [try start(), try start()]
    var killed = 0
    var failures: [String] = []
    for _ in 0..<Self.kills * 3 where killed < Self.kills {
      usleep(UInt32.random(in: 0...30_000, using: &random))  // the random moment, not a wait for an event
      let victim = Int.random(in: 0..<2, using: &random)
      if running[victim].process.isRunning {
        running[victim].signal(SIGKILL)
        killed += 1
      }
      let ended = try running[victim].finish()
      if ended.status != 0 && ended.status != 137 { failures.append("\(ended)") }
      running[victim] = try start()
      if failures.count > 3 { break }
    }
    let committedDuringKills = try kq.committed("g", topic: "in").reduce(0) { $0 + ($1 ?? 0) }
    for process in running {
      let ended = try process.finish(timeout: 120)
      if ended.status != 0 { failures.append("\(ended)") }
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    try kq.ok("pipe", "in", "out", "--group", "g", "-K", ":", "--", "sed", "s/:/:x/")
    #expect(killed == Self.kills, "only \(killed) kills landed on a running process")

    let stored = try kq.run(["consume", "out", "--format", "%k %s\\n"], stdin: []).checked().lines
    var byKey: [String: [Int]] = [:]
    for line in stored {
      let parts = line.split(separator: " ")
      guard parts.count == 2, parts[1].hasPrefix("x"), let number = Int(parts[1].dropFirst()) else {
        Issue.record("a stored record is not an output: \(line)")
        continue
      }
      byKey[String(parts[0]), default: []].append(number - 100_000_000)
    }
    #expect(stored.count == Self.records, "\(stored.count) outputs for \(Self.records) inputs")
    for key in 0..<keys {
      let expected = Array(stride(from: key, to: Self.records, by: keys))
      let got = byKey["k\(key)"] ?? []
      if got != expected {
        let duplicates = got.count - Set(got).count
        Issue.record("key k\(key): \(got.count) outputs, \(duplicates) duplicated, \(Set(expected).subtracting(got).count) missing, in order: \(got == got.sorted())")
      }
    }
    #expect(try kq.committed("g", topic: "in").reduce(0) { $0 + ($1 ?? 0) } == Int64(Self.records))
    // The kills must land while the work is going on, not after it.
    #expect(committedDuringKills < Int64(Self.records), "the input was all processed before the last kill")
    print("kq pipe kill test: \(killed) kills over \(Self.records) records (\(committedDuringKills) committed during them), seed \(seed)")
  }
}
