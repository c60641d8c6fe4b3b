import Foundation
import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// I/O errors (issue 10): the workloads of the power-loss search, with the Nth file-system call
/// failing (EIO, ENOSPC, or a short write), once or from then on, for every N. The call that
/// meets it throws; what was acknowledged before stays; a writer whose fsync failed never
/// reports a later sync as a success; the next process recovers and continues at the log end.
/// `KQ_IO_PAIRS` (default 12) sets how many two-action workloads join the single actions.
@Suite("I/O error search", .serialized)
struct IOErrorSearchTests {
  typealias Action = PowerLossSearchTests.Action

  enum Kind: CaseIterable { case eio, enospc, shortWrite }

  final class Countdown: @unchecked Sendable {
    var calls = 0
    var failedOperations: [String] = []
    let failAt: Int
    let forever: Bool
    let kind: Kind
    init(failAt: Int, forever: Bool, kind: Kind) {
      self.failAt = failAt
      self.forever = forever
      self.kind = kind
    }
    func fault(_ operation: FileSystem.FileOperation) -> FileSystem.Fault? {
      calls += 1
      guard calls == failAt || (forever && calls > failAt) else { return nil }
      if failedOperations.count < 3 { failedOperations.append(operation.rawValue) }
      switch kind {
      case .eio: return .fail(.io)
      case .enospc: return .fail(.noSpace)
      case .shortWrite: return operation == .write ? .shortWrite(7) : .fail(.io)
      }
    }
  }

  static func workloads() -> [[Action]] {
    let pairs = ProcessInfo.processInfo.environment["KQ_IO_PAIRS"].flatMap { Int($0) } ?? 12
    var result = Action.allCases.map { [$0] }.filter(PowerLossSearchTests.isValid)
    var generator = SeededGenerator(seed: 10)
    var tries = 0
    while result.count < Action.allCases.count + pairs && tries < 1000 {
      tries += 1
      let pair = [Action.allCases.randomElement(using: &generator)!, Action.allCases.randomElement(using: &generator)!]
      if PowerLossSearchTests.isValid(pair) && !result.contains(pair) { result.append(pair) }
    }
    return result
  }

  /// Runs `actions` with the `failAt`th call failing; returns the problems found.
  static func trial(_ actions: [Action], failAt: Int, forever: Bool, kind: Kind) throws -> (calls: Int, problems: [String]) {
    let directory = try TemporaryDirectory.inSharedMemory("kq-io")
    let dataPath = try PowerLossSearchTests.prepare(in: directory.path)
    let countdown = Countdown(failAt: failAt, forever: forever, kind: kind)
    let fileSystem = FileSystem(injecting: { operation, _ in countdown.fault(operation) })
    var labels: [String] = []
    var failed = false
    do {
      try PowerLossSearchTests.perform(actions, dataPath: dataPath, fileSystem: fileSystem) { labels.append($0) }
    } catch { failed = true }
    var problems = PowerLossSearchTests.check(dataPath: dataPath, promises: .init(labels))
    if labels.contains(PowerLossSearchTests.syncAfterFailure) && countdown.failedOperations.contains("sync") {
      problems.append("a sync succeeded after an fsync failed")
    }
    if failAt > countdown.calls && failed { problems.append("failed with no fault injected") }
    if !problems.isEmpty { problems.append("faults on \(countdown.failedOperations)") }
    return (countdown.calls, problems)
  }

  @Test("every call of every workload failing, once or forever, loses nothing acknowledged")
  func everyCallFails() throws {
    var points = 0
    var failures: [String] = []
    for actions in Self.workloads() {
      let total = try Self.trial(actions, failAt: Int.max, forever: false, kind: .eio).calls
      for failAt in 1...total {
        for kind in Kind.allCases {
          for forever in [false, true] {
            points += 1
            let (_, problems) = try Self.trial(actions, failAt: failAt, forever: forever, kind: kind)
            if !problems.isEmpty {
              failures.append("\(actions) call \(failAt) of \(total) \(kind) \(forever ? "forever" : "once"): \(problems.joined(separator: "; "))")
            }
          }
        }
      }
    }
    print("I/O error search: \(points) fault points, \(failures.count) failing")
    #expect(failures.isEmpty, "\(failures.prefix(10).joined(separator: "\n"))")
  }
}

extension IOErrorSearchTests {
  @Test("a writer whose fdatasync failed fails every later sync: the kernel may have dropped the pages")
  func failedSyncIsFinal() throws {
    let fixture = try PartitionFixture()
    let plan = FaultPlan()
    let log = try fixture.writer(fileSystem: plan.fileSystem)
    try Batches.append([[Record(value: Array("a".utf8), timestamp: 1)]], to: log)
    plan.arm(.sync, pathSuffix: ".log", .fail(.io))
    #expect(throws: StorageError.io(.io, operation: "fsync", path: fixture.logPath(base: 0))) { try log.sync() }
    #expect(throws: StorageError.io(.io, operation: "fsync", path: fixture.logPath(base: 0))) { try log.sync() }
    #expect(plan.fired == ["sync \(fixture.logPath(base: 0))"])
    // A new writer (a new process) starts afresh.
    let next = try fixture.writer()
    try Batches.append([[Record(value: Array("b".utf8), timestamp: 2)]], to: next)
    try next.sync()
    #expect(try LogValidation.readAll(folder: fixture.folder()).map(\.offset) == [0, 1])
  }
}
