import Foundation
import Glibc
import KQTestSupport
import Synchronization
import Testing

@testable import KQStorage
import KQLog

/// The power-loss search (`PowerLossSearchTests`) over compaction: a compacted partition of
/// keyed records in small segments is compacted (and produced to) through a journalling
/// `FileSystem`; at every call, states a power cut could leave are written out and the machine
/// "reboots". The next writer must recover (finishing or rolling back a swap), every record
/// read must be the one written at its offset, each key's last acknowledged record (or a
/// later one) must be there, and `kq verify` must find no problem.
@Suite("power loss search over compaction", .serialized)
struct CompactionPowerLossTests {
  enum Action: CaseIterable { case compact, produce, produceRolling }

  static let topic = try! TopicName("c")
  static let preloaded = 16
  static var config: TopicConfig {
    var config = TopicConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = 1024
    config.minCleanableDirtyRatio = 1
    return config
  }

  static func record(_ index: Int) -> Record {
    Record(
      key: Array("k\(index % 4)".utf8), value: Array("r\(index)".utf8) + [UInt8](repeating: UInt8(index % 251), count: 300),
      timestamp: 1_700_000_000_000 + Int64(index))
  }

  /// A data directory with topic c: 16 keyed records in segments of 3, synced, never compacted.
  static func prepare(in root: String) throws -> String {
    let dataPath = root + "/data"
    let setup = try DataDirectory.open(at: dataPath, create: true, clock: ManualClock())
    try setup.createTopic(topic, config: config)
    var uncompacted = config
    uncompacted.cleanupPolicy = .delete
    let log = try PartitionLog(
      folder: setup.partitionFolder(topic, 0), config: uncompacted, fileSystem: FileSystem(), clock: ManualClock())
    try Batches.append((0..<preloaded).map { [record($0)] }, to: log)
    try log.sync()
    log.close()
    return dataPath
  }

  static func perform(_ actions: [Action], dataPath: String, fileSystem: FileSystem, mark: (String) -> Void) throws {
    let clock = ManualClock()
    let data = try DataDirectory.open(at: dataPath, create: false, fileSystem: fileSystem, clock: clock)
    var produced = preloaded
    for action in actions {
      let log = try PartitionLog(folder: data.partitionFolder(topic, 0), config: config, fileSystem: fileSystem, clock: clock)
      defer { log.close() }
      switch action {
      case .compact:
        _ = try log.compact()
      case .produce, .produceRolling:
        let count = action == .produce ? 1 : 4
        try Batches.append((produced..<produced + count).map { [record($0)] }, to: log)
        try log.sync()
        produced += count
        mark("produced \(produced)")
      }
    }
  }

  static func check(dataPath: String, acknowledged: Int) -> [String] {
    var problems: [String] = []
    do {
      let clock = ManualClock()
      let data = try DataDirectory.open(at: dataPath, create: false, clock: clock)
      let folder = data.partitionFolder(topic, 0)
      let log = try PartitionLog(folder: folder, config: data.config(of: topic), fileSystem: FileSystem(), clock: clock)
      try log.enforceRetention()  // opens the partition: recovery
      log.close()
      let reader = PartitionReader(folder: folder, fileSystem: FileSystem())
      try reader.seek(to: 0)
      var last: [[UInt8]: Int64] = [:]
      var previous: Int64 = -1
      while let batch = try reader.nextBatch() {
        for stored in try batch.records() {
          if stored.offset <= previous { problems.append("offset \(stored.offset) after \(previous)") }
          if stored.record != record(Int(stored.offset)) { problems.append("offset \(stored.offset) holds another record") }
          previous = stored.offset
          last[stored.record.key ?? []] = stored.offset
        }
      }
      for index in max(0, acknowledged - 4)..<acknowledged {
        let key = record(index).key ?? []
        if (last[key] ?? -1) < Int64(index) { problems.append("key \(String(decoding: key, as: UTF8.self)) lost record \(index)") }
      }
      let report = try data.verify(topics: nil, repair: false) { _ in }
      for finding in report.problems { problems.append("verify: \(finding)") }
    } catch {
      problems.append("recovery failed: \(error)")
    }
    return problems
  }

  @Test(
    "every crash state of a compaction recovers the old or the new segments, never a mix or a loss",
    arguments: [[Action.compact], [.compact, .produceRolling, .compact], [.produceRolling, .compact, .produce]])
  func powerLoss(actions: [Action]) throws {
    try Self.search { dataPath, fileSystem, _, mark in try Self.perform(actions, dataPath: dataPath, fileSystem: fileSystem, mark: mark) }
  }

  /// A compaction on one thread while another produces and rolls segments, both through the
  /// one journal: the producer starts once the cleaner has created its first `.log.cleaned`
  /// (pass two, without the append lock), so its appends, rolls and syncs interleave with the
  /// rest of the cleaning and the swap in whatever order the threads then run (every order
  /// must recover).
  @Test("every crash state of a compaction run while a producer appends and rolls recovers with every acknowledged record")
  func powerLossWithProducerAlongside() throws {
    try Self.search { dataPath, fileSystem, journal, mark in
      let clock = ManualClock()
      let data = try DataDirectory.open(at: dataPath, create: false, fileSystem: fileSystem, clock: clock)
      let folder = data.partitionFolder(Self.topic, 0)
      final class Outcome: @unchecked Sendable {  // written by the cleaner before `done` signals
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)
        let hasEnded = Atomic<Bool>(false)
      }
      let outcome = Outcome()
      let cleanerConfig = Self.config
      let cleaner = Thread {
        do {
          let log = try PartitionLog(folder: folder, config: cleanerConfig, fileSystem: fileSystem, clock: ManualClock())
          defer { log.close() }
          _ = try log.compact()
        } catch { outcome.error = error }
        outcome.hasEnded.store(true, ordering: .releasing)
        outcome.done.signal()
      }
      cleaner.start()
      func cleanerIsWriting() -> Bool {
        journal.entries.contains { if case .open(let path, _, _) = $0 { path.hasSuffix(".log.cleaned") } else { false } }
      }
      while !cleanerIsWriting() && !outcome.hasEnded.load(ordering: .acquiring) { sched_yield() }
      #expect(cleanerIsWriting(), "the cleaner ended before writing a cleaned segment: \(String(describing: outcome.error))")
      var produced = Self.preloaded
      for _ in 0..<3 {
        let log = try PartitionLog(folder: folder, config: Self.config, fileSystem: fileSystem, clock: clock)
        defer { log.close() }
        try Batches.append((produced..<produced + 4).map { [Self.record($0)] }, to: log)
        try log.sync()
        produced += 4
        mark("produced \(produced)")
      }
      outcome.done.wait()
      if let error = outcome.error { throw error }
    }
  }

  /// Runs `work` through a journalling file system, then checks every crash state it leaves.
  static func search(_ work: (String, FileSystem, FileJournal, (String) -> Void) throws -> Void) throws {
    let workDirectory = try TemporaryDirectory("kq-work")
    let dataPath = try Self.prepare(in: workDirectory.path)
    let journal = FileJournal()
    let states = try CrashStates(root: workDirectory.path)
    try work(dataPath, FileSystem(journal: journal), journal) { journal.append(.returned($0)) }
    let recorded = states.completed(with: journal)
    let shm = FileManager.default.fileExists(atPath: "/dev/shm") ? try TemporaryDirectory.inSharedMemory() : nil
    let scratch = try TemporaryDirectory("kq-crash")
    let stateRoot = (shm ?? scratch).path
    var generator = SeededGenerator(seed: 15)
    var seen = Set<Int>()
    var failures: [String] = []
    var checked = 0
    for crash in 0...recorded.callCount {
      let volatile = recorded.volatile(before: crash)
      var variants: [Set<Int>] = [[], Set(volatile)]
      for step in volatile.suffix(6) { variants.append([step]) }
      for _ in 0..<4 where !volatile.isEmpty {
        variants.append(Set(volatile.shuffled(using: &generator).prefix(Int.random(in: 1...min(6, volatile.count), using: &generator))))
      }
      let acknowledged = recorded.returned(before: crash).compactMap { label in
        label.hasPrefix("produced ") ? Int(label.dropFirst(9)) : nil
      }.last ?? Self.preloaded
      for lost in variants {
        var disk = recorded.disk(crashAt: crash, losing: lost)
        disk.reboot()
        guard seen.insert(disk.hashValue).inserted else { continue }
        checked += 1
        let target = stateRoot + "/s"
        try recorded.materialize(disk, at: target)
        let problems = Self.check(dataPath: target + "/data", acknowledged: acknowledged)
        try? FileManager.default.removeItem(atPath: target)
        if !problems.isEmpty {
          failures.append("crash before call \(crash) of \(recorded.callCount), lost \(lost.sorted()): \(problems.joined(separator: "; "))")
        }
      }
    }
    #expect(checked > 50, "only \(checked) states")
    #expect(failures.isEmpty, "\(failures.count) of \(checked) states:\n\(failures.prefix(8).joined(separator: "\n"))")
  }
}
