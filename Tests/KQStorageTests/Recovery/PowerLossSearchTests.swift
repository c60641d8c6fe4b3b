import Foundation
import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Simulated power loss (issue 10): small workloads run through a `FileSystem` that journals
/// every call; at every call, states a power cut could leave (unsynced writes and names lost in
/// any combination, writes torn at 512-byte sectors) are written out, the machine "reboots"
/// (kq.lock names another boot), and the next writer and readers must find every acknowledged
/// record once, in order, with group offsets old or new. `KQ_CRASH_STATES` (default 140 000, about 100 000 built and 7 000 distinct)
/// sets how many states are checked; `KQ_CRASH_SEED` replays one seed.
@Suite("power loss search", .serialized)
struct PowerLossSearchTests {
  enum Action: CaseIterable {
    case produce, produceRolling, produceUnsynced, retention, commit, create, alter, delete
  }

  static let base: Int64 = 1_700_000_000_000
  static let preloaded = 4
  static let topic = try! TopicName("t")
  static let other = try! TopicName("u")
  static let group = try! GroupName("g")
  static var config: TopicConfig {
    var config = TopicConfig()
    config.segmentBytes = 1024
    config.retentionMillis = -1
    return config
  }

  static func record(_ index: Int) -> Record {
    Record(key: nil, value: Array("r\(index)".utf8) + [UInt8](repeating: UInt8(index % 251), count: 300), timestamp: base + Int64(index))
  }

  /// A workload is valid when every alter/delete of `u` finds it and every create does not.
  static func isValid(_ actions: [Action]) -> Bool {
    var exists = false
    for action in actions {
      switch action {
      case .create: if exists { return false }; exists = true
      case .alter: if !exists { return false }
      case .delete: if !exists { return false }; exists = false
      default: break
      }
    }
    return true
  }

  static func workloads(seed: UInt64) -> [[Action]] {
    var result: [[Action]] = Action.allCases.map { [$0] }
    for a in Action.allCases { for b in Action.allCases { result.append([a, b]) } }
    var generator = SeededGenerator(seed: seed)
    for _ in 0..<80 { result.append((0..<3).map { _ in Action.allCases.randomElement(using: &generator)! }) }
    return result.filter(isValid)
  }

  /// A fresh data directory under `root` holding topic t with 4 synced records; its path.
  static func prepare(in root: String) throws -> String {
    let dataPath = root + "/data"
    let setup = try DataDirectory.open(at: dataPath, create: true, clock: ManualClock())
    try setup.createTopic(topic, config: config)
    let first = try PartitionLog(folder: setup.partitionFolder(topic, 0), config: config, fileSystem: FileSystem(), clock: ManualClock())
    try Batches.append((0..<preloaded).map { [record($0)] }, to: first)
    try first.sync()
    first.close()
    return dataPath
  }

  /// Runs `actions` on a fresh data directory (topic t with 4 records); returns the journal.
  static func run(_ actions: [Action], in root: String) throws -> CrashStates {
    let dataPath = try prepare(in: root)
    let journal = FileJournal()
    let states = try CrashStates(root: root)  // the tree before the workload, all durable
    try perform(actions, dataPath: dataPath, fileSystem: FileSystem(journal: journal)) { journal.append(.returned($0)) }
    return states.completed(with: journal)
  }

  static let syncAfterFailure = "sync succeeded after a failed one"

  /// Runs `actions` through `fileSystem`, calling `mark` before and after each promise, as
  /// "produced N" (records acknowledged so far), "committing V"/"committed V", "creating"… .
  /// A writer whose sync failed is asked to sync again: it must fail again.
  static func perform(
    _ actions: [Action], dataPath: String, fileSystem: FileSystem, mark: (String) -> Void
  ) throws {
    let clock = ManualClock()
    let data = try DataDirectory.open(at: dataPath, create: false, fileSystem: fileSystem, clock: clock)
    var produced = preloaded
    var commits = 0
    for action in actions {
      switch action {
      case .produce, .produceRolling:
        let count = action == .produce ? 1 : 5
        let log = try PartitionLog(folder: data.partitionFolder(topic, 0), config: config, fileSystem: fileSystem, clock: clock)
        defer { log.close() }
        try Batches.append((produced..<produced + count).map { [record($0)] }, to: log)
        do { try log.sync() } catch {
          if (try? log.sync()) != nil { mark(syncAfterFailure) }
          throw error
        }
        produced += count
        mark("produced \(produced)")
      case .produceUnsynced:
        // A writer killed before its sync: its records are in the page cache only, until a
        // later writer's sync makes the log durable up to its own records.
        let log = try PartitionLog(folder: data.partitionFolder(topic, 0), config: config, fileSystem: fileSystem, clock: clock)
        defer { log.close() }
        try Batches.append((produced..<produced + 5).map { [record($0)] }, to: log)
        produced += 5
      case .retention:
        var retained = config
        retained.retentionBytes = 1200
        let log = try PartitionLog(folder: data.partitionFolder(topic, 0), config: retained, fileSystem: fileSystem, clock: clock)
        defer { log.close() }
        mark("retaining")
        try log.enforceRetention()
      case .commit:
        commits += 1
        let offset = Int64(commits * 2)
        mark("committing \(offset)")
        try data.commit(group: group, topic: topic, partition: 0, offset: offset)
        mark("committed \(offset)")
      case .create:
        mark("creating")
        try data.createTopic(other, config: config)
        mark("created")
      case .alter:
        mark("altering")
        _ = try data.alterTopic(other, settings: [("partitions", "2")])
        mark("altered")
      case .delete:
        mark("deleting")
        try data.deleteTopic(other)
        mark("deleted")
      }
    }
  }

  /// What the workload promised by a crash, from the labels it put before it.
  struct Promises {
    var acknowledged = preloaded
    var mayHaveRetained = false
    var committedOffsets: Set<Int64?> = [nil]
    var otherExists: Set<Bool> = [false]
    var otherPartitions: Set<Int> = [1]

    init(_ labels: [String]) {
      for label in labels {
        let parts = label.split(separator: " ")
        switch parts[0] {
        case "produced": acknowledged = Int(parts[1]) ?? 0
        case "retaining": mayHaveRetained = true
        case "committing": committedOffsets.insert(Int64(parts[1]))
        case "committed": committedOffsets = [Int64(parts[1])]
        case "creating": otherExists.insert(true)
        case "created": otherExists = [true]
        case "altering": otherPartitions.insert(2)
        case "altered": otherPartitions = [2]
        case "deleting": otherExists.insert(false)
        case "deleted": otherExists = [false]; otherPartitions = [1]
        default: break
        }
      }
    }
  }

  /// Recovery after the crash, as the next processes meet it; returns the problems found.
  static func check(dataPath: String, promises: Promises) -> [String] {
    var problems: [String] = []
    do {
      let clock = ManualClock()
      let data = try DataDirectory.open(at: dataPath, create: false, clock: clock)
      // Topic t: the writer recovers; readers find a dense run holding every acknowledged record.
      let folder = data.partitionFolder(topic, 0)
      let log = try PartitionLog(folder: folder, config: data.config(of: topic), fileSystem: FileSystem(), clock: clock)
      try log.enforceRetention()  // opens the partition: recovery
      let records = try LogValidation.readAll(folder: folder)
      let start = records.first?.offset ?? 0
      for (index, stored) in records.enumerated() {
        let expected = start + Int64(index)
        if stored.offset != expected || stored.record.value != record(Int(expected)).value {
          problems.append("record at \(stored.offset) (expected offset \(expected)) holds the wrong value")
          break
        }
      }
      let end = start + Int64(records.count)
      if end < promises.acknowledged && !(records.isEmpty && promises.mayHaveRetained) {
        problems.append("log ends at \(end), but \(promises.acknowledged) records were acknowledged")
      }
      if start > 0 && !promises.mayHaveRetained { problems.append("log starts at \(start) with no retention run") }
      let next = try Batches.append([[record(Int(end))]], to: log)
      try log.sync()
      if next.firstOffset != end { problems.append("the next append got offset \(next.firstOffset), not \(end)") }
      if try LogValidation.readAll(folder: folder).last?.offset != end {
        problems.append("the next append is not read back at \(end)")
      }
      log.close()
      // Group offsets: old or new.
      let committed = try data.committedOffsets(group: group, topic: topic)[0]
      if !promises.committedOffsets.contains(committed) {
        problems.append("group offset \(String(describing: committed)), expected one of \(promises.committedOffsets)")
      }
      // Topic u: there exactly when it should be, whole, and creatable again when not.
      do {
        let config = try data.config(of: other)
        if !promises.otherExists.contains(true) { problems.append("deleted topic u is back") }
        if !promises.otherPartitions.contains(config.partitions) {
          problems.append("topic u has \(config.partitions) partitions, expected \(promises.otherPartitions)")
        }
        for partition in 0..<config.partitions {
          let folder = data.partitionFolder(other, partition)
          let log = try PartitionLog(folder: folder, config: config, fileSystem: FileSystem(), clock: clock)
          try Batches.append([[record(0)]], to: log)
          log.close()
          _ = try LogValidation.readAll(folder: folder)
        }
      } catch StorageError.topicNotFound {
        if !promises.otherExists.contains(false) { problems.append("created topic u is missing") }
        try data.createTopic(other, config: config)
      }
    } catch {
      problems.append("recovery failed: \(error)")
    }
    return problems
  }

  @Test("every crash state of every workload recovers every acknowledged record once")
  func powerLoss() throws {
    let environment = ProcessInfo.processInfo.environment
    let budget = environment["KQ_CRASH_STATES"].flatMap { Int($0) } ?? 140_000
    let seed = environment["KQ_CRASH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64(UInt32.max))
    let report = try Self.search(seed: seed, budget: budget)
    print("power loss search: seed \(seed): \(report.summary)")
    #expect(report.failures.isEmpty, "seed \(seed) (KQ_CRASH_SEED=\(seed) replays it):\n\(report.failures.prefix(10).joined(separator: "\n"))")
  }

  /// Found by the search (seed 1), kept as fixed cases: a roll inside an unsynced append let a
  /// power cut keep the next segment and tear or lose the sealed one (damage, an offset gap);
  /// retention's removals reached the disk in any order (a gap); a first group commit's new
  /// folders were not durable (an acknowledged commit lost); a writer's sync left the name of
  /// a segment another writer created undurable (acknowledged records lost); a roll did not
  /// sync what other writers had appended to the sealed segment (a gap); after a reboot, an
  /// unsynced batch followed by an intact one stopped the writer as damage.
  @Test(
    "fixed seed: rolls, retention and first commits survive any power cut",
    arguments: [
      [Action.produceRolling], [.produceRolling, .retention], [.commit, .produce], [.produceUnsynced, .produce],
      [.produceUnsynced, .produceUnsynced, .produceRolling],
    ])
  func regression(actions: [Action]) throws {
    let report = try Self.search(seed: 1, budget: 1500, only: [actions])
    #expect(report.failures.isEmpty, "\(report.failures.prefix(5).joined(separator: "\n"))")
  }

  struct Report {
    var workloads = 0
    var calls = 0
    var generated = 0
    var checked = 0
    var failures: [String] = []
    var summary: String {
      "\(workloads) workloads, \(calls) calls, \(generated) crash states built, \(checked) distinct states recovered, \(failures.count) failing"
    }
  }

  static func search(seed: UInt64, budget: Int, only: [[Action]]? = nil) throws -> Report {
    var report = Report()
    var generator = SeededGenerator(seed: seed)
    let workloads = only ?? Self.workloads(seed: seed)
    let scratch = try TemporaryDirectory("kq-crash")
    let shm = FileManager.default.fileExists(atPath: "/dev/shm") ? try TemporaryDirectory.inSharedMemory() : nil
    let stateRoot = (shm ?? scratch).path
    let perWorkload = max(1, budget / max(1, workloads.count))
    for (number, actions) in workloads.enumerated() {
      report.workloads += 1
      let workDirectory = try TemporaryDirectory("kq-work")
      let states = try run(actions, in: workDirectory.path)
      report.calls += states.callCount
      var seen = Set<Int>()
      var checked = 0
      let perCall = max(1, perWorkload / max(1, states.callCount))
      for crash in 0...states.callCount {
        let volatile = states.volatile(before: crash)
        var variants: [(lost: Set<Int>, tear: CrashStates.Tear?)] = [([], nil), (Set(volatile), nil)]
        for step in volatile.suffix(8) { variants.append(([step], nil)) }
        for write in volatile.filter(states.isWrite).suffix(3) {
          let size = states.writeSize(write)
          for keep in stride(from: 512, to: size, by: 512).prefix(6) {
            for zeroTail in [false, true] {
              variants.append(([], .init(step: write, keep: keep, zeroTail: zeroTail)))
              variants.append((Set(volatile.filter { $0 > write }), .init(step: write, keep: keep, zeroTail: zeroTail)))
            }
          }
        }
        while variants.count < perCall && !volatile.isEmpty {
          let size = Int.random(in: 1...min(8, volatile.count), using: &generator)
          variants.append((Set(volatile.shuffled(using: &generator).prefix(size)), nil))
        }
        let promises = Promises(states.returned(before: crash))
        for variant in variants {
          report.generated += 1
          var disk = states.disk(crashAt: crash, losing: variant.lost, tear: variant.tear)
          disk.reboot()
          guard seen.insert(disk.hashValue).inserted else { continue }
          checked += 1
          let target = stateRoot + "/s"
          try states.materialize(disk, at: target)
          let problems = check(dataPath: target + "/data", promises: promises)
          try? FileManager.default.removeItem(atPath: target)
          if !problems.isEmpty {
            report.failures.append(
              "workload \(number) \(actions), crash before call \(crash) of \(states.callCount), lost \(variant.lost.sorted()), tear \(String(describing: variant.tear)): \(problems.joined(separator: "; "))"
            )
          }
        }
      }
      report.checked += checked
    }
    return report
  }
}
