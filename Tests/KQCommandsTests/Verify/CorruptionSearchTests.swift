import Foundation
import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Issue 10, the corruption search: every truncation length and a bit flip at every byte of
/// every file of a small reference data directory, plus random damage in larger files. On each:
/// readers return only records that were written (a prefix, or with gaps they report) or name
/// the damage; `kq verify` reports anything that changes what a reader returns; and on a
/// sample, `--repair` leaves a directory that verifies clean, reads without error and takes new
/// records. A failure prints the seed and case; `KQ_SEARCH_SEED=S KQ_SEARCH_CASE=N` replays one.
@Suite("corruption search")
struct CorruptionSearchTests {
  /// One seed per test run, shared by the shards of the exhaustive search.
  static let seed: UInt64 =
    ProcessInfo.processInfo.environment["KQ_SEARCH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
  /// `KQ_SEARCH_SHARDS` splits the exhaustive plan among that many copies of the directory,
  /// searched at the same time (case N goes to shard N mod shards).
  static let shards = max(1, ProcessInfo.processInfo.environment["KQ_SEARCH_SHARDS"].flatMap { Int($0) } ?? 1)
  static var onlyCase: Int? { ProcessInfo.processInfo.environment["KQ_SEARCH_CASE"].flatMap { Int($0) } }

  /// Checks one case; returns what went wrong, or nil.
  static func run(_ damage: CorruptionSearch.Case, in search: CorruptionSearch, repair: Bool) throws -> String? {
    try search.apply(damage)
    var undone = false
    defer { if !undone { try? search.undo(damage) } }
    var report: VerifyReport?
    do { report = try search.service().verify(topics: nil, repair: false) { _ in } } catch {}
    let seen = try search.observe(only: CorruptionSearch.partition(of: damage.file))
    if let wrong = wrongRecords(seen, in: search) { return "a reader returned a record never written: \(wrong)" }
    let found = report.map { !$0.findings.isEmpty } ?? true
    if seen != search.reference && !found && !onlyOffsetValueChanged(seen, search.reference) {
      return "what readers return changed, and kq verify found nothing"
    }
    guard repair, report.map({ !$0.findings.isEmpty }) == true else { return nil }
    defer { try? search.restoreAll() }
    undone = true
    do { _ = try search.service().verify(topics: nil, repair: true) { _ in } } catch {
      return "kq verify --repair failed: \(error)"
    }
    let after = try search.service().verify(topics: nil, repair: false) { _ in }
    if !after.findings.isEmpty { return "after --repair, kq verify still finds \(after.findings)" }
    let repaired = try search.observe()
    if let wrong = wrongRecords(repaired, in: search) { return "after --repair, a reader returned \(wrong)" }
    if repaired.failed.contains(true) { return "after --repair, a reader still fails" }
    let produced = try search.kq(["produce", search.topic, "-p", "0", "--sync", "none"], stdin: "after repair\n")
    if produced.status != .success { return "after --repair, produce failed: \(produced.errors)" }
    let final = try search.service().verify(topics: nil, repair: false) { _ in }
    if !final.problems.isEmpty { return "after --repair and a produce, kq verify finds \(final.problems)" }
    return nil
  }

  /// A record a reader returned that the reference does not hold at that offset.
  static func wrongRecords(_ seen: CorruptionSearch.Observation, in search: CorruptionSearch) -> String? {
    for (partition, lines) in seen.partitions.enumerated() {
      let known = search.referenceRecords[partition]
      if let wrong = lines.first(where: { !known.contains($0) }) { return "partition \(partition): \(wrong)" }
    }
    return nil
  }

  /// A committed offset's digit flipped into another valid offset: the file has no checksum,
  /// so this one change cannot be found (FORMAT.md, "Verifying and repairing").
  static func onlyOffsetValueChanged(_ seen: CorruptionSearch.Observation, _ reference: CorruptionSearch.Observation) -> Bool {
    var same = seen
    same.committed = reference.committed
    return same == reference && seen.committed != nil
  }

  static func search(_ search: CorruptionSearch, plan: [CorruptionSearch.Case], seed: UInt64, repairEvery: Int) throws {
    let clean = try search.service().verify(topics: nil, repair: false) { _ in }
    #expect(clean.findings.isEmpty, "the reference directory does not verify clean: \(clean.findings)")
    var failures: [String] = []
    let onlyCase = Self.onlyCase  // read once: the environment costs more than a case
    for damage in plan where onlyCase.map({ $0 == damage.number }) ?? true {
      if let failure = try run(damage, in: search, repair: damage.number % repairEvery == 0 || onlyCase != nil) {
        failures.append("seed \(seed), \(damage): \(failure)")
        if failures.count >= 10 { break }
      }
    }
    let summary = failures.joined(separator: "\n")
    #expect(failures.isEmpty, "replay with KQ_SEARCH_SEED=\(seed) KQ_SEARCH_CASE=N\n\(summary)")
  }

  /// `swift test` runs about 13,600 cases; `.ci/run` runs about 100,000 (KQ_SEARCH_BITS=8 flips
  /// every bit of every byte, KQ_SEARCH_RECORDS=400 makes the directory bigger, in 2 shards).
  @Test("every truncation and a bit flip at every byte of a small data directory", arguments: 0..<shards)
  func exhaustive(shard: Int) throws {
    let seed = Self.seed
    let records = ProcessInfo.processInfo.environment["KQ_SEARCH_RECORDS"].flatMap { Int($0) } ?? 240
    let search = try CorruptionSearch(records: records)
    let bits = ProcessInfo.processInfo.environment["KQ_SEARCH_BITS"].flatMap { Int($0) } ?? 1
    let whole = search.exhaustivePlan(seed: seed, bitsPerByte: bits)
    let plan = whole.filter { $0.number % Self.shards == shard }
    print(
      "corruption search: \(whole.count) cases over \(search.files.count) files (\(search.files.reduce(0) { $0 + $1.bytes.count }) bytes), seed \(seed); shard \(shard + 1) of \(Self.shards): \(plan.count) cases")
    try Self.search(search, plan: plan, seed: seed, repairEvery: 61)
  }

  @Test("random flips and truncations in larger files (mapped windows, many segments)")
  func randomInLargeFiles() throws {
    let seed = Self.seed
    let search = try CorruptionSearch(records: 4000, valueSize: 600, segmentBytes: 1 << 20)
    let plan = search.randomPlan(seed: seed, count: 200)
    try Self.search(search, plan: plan, seed: seed, repairEvery: 5)
  }
}
