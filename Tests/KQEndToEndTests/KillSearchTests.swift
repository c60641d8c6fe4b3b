import Foundation
import Glibc
import KQTestSupport
import Testing

/// kill -9 search (issue 10): many short producer runs, four writing to one topic at once,
/// the first of each topic racing `--create`, a random half killed at a random moment. Every
/// record of every run that exited 0 is stored exactly once, in order; a killed run left a
/// prefix of its input; the topic reads back whole and dense. `KQ_KILL_RUNS` (default 1000)
/// sets the number of runs, `KQ_KILL_SEED` replays one seed.
@Suite("kill -9 search", .localOnly("searches what kill -9 leaves in a data directory's files (ClusterTests kill the broker mid-produce)"))
struct KillSearchTests {
  @Test("1000 producer runs, 4 at once, half killed at random: nothing acknowledged lost or doubled")
  func killedProducers() throws {
    let environment = ProcessInfo.processInfo.environment
    let runs = environment["KQ_KILL_RUNS"].flatMap { Int($0) } ?? 1000
    let seed = environment["KQ_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64(UInt32.max))
    var random = SeededGenerator(seed: seed)
    let kq = try KQSandbox()
    var problems: [String] = []
    var killed = 0
    var exitedZero = 0
    var run = 0
    var topicNumber = 0
    while run < runs && problems.isEmpty {
      topicNumber += 1
      let topic = "t\(topicNumber)"
      var inputs: [Int: [String]] = [:]
      var statuses: [Int: Int32] = [:]
      for round in 0..<25 where run < runs {
        var running: [(run: Int, process: KQProcess.Running, kill: Bool)] = []
        for _ in 0..<4 where run < runs {
          let lines = (0..<Int.random(in: 1...300, using: &random)).map { "r\(run) \($0)" }
          inputs[run] = lines
          var arguments = ["produce", topic, "--sync", "none"]
          if round == 0 { arguments.append("--create") }
          let process = try KQProcess.start(arguments, directory: kq.path)
          process.write(lines.joined(separator: "\n") + "\n")
          process.closeInput()
          running.append((run, process, Bool.random(using: &random)))
          run += 1
        }
        for entry in running where entry.kill {
          usleep(UInt32.random(in: 0...4_000, using: &random))
          entry.process.signal(SIGKILL)
        }
        for entry in running {
          let result = try entry.process.finish(timeout: 30)
          statuses[entry.run] = result.status
          if result.status == 0 { exitedZero += 1 } else if result.status == 128 + SIGKILL { killed += 1 } else {
            problems.append("run \(entry.run) exited \(result.status): \(result.firstErrorLine)")
          }
        }
        if round == 0 {
          // Killed creators may have left no topic; then small segments, so later runs roll.
          _ = try kq.run("topic", "create", topic)
          try kq.ok("topic", "alter", topic, "--config", "segment.bytes=2KiB")
        }
      }
      // The topic reads back whole: every run's records in order, once; whole runs when exit 0.
      let consumed = try kq.run("consume", topic, "--format", "%o %s\\n")
      guard consumed.status == 0 else {
        problems.append("consume \(topic) exited \(consumed.status): \(consumed.firstErrorLine)")
        break
      }
      do { _ = try LogValidation.readAll(folder: kq.path + "/\(topic)-0") } catch {
        problems.append("\(topic) does not verify clean: \(error)")
      }
      var byRun: [Int: [String]] = [:]
      for (index, line) in consumed.lines.enumerated() {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] == "\(index)" else {
          problems.append("\(topic): line \(index) is \(line)")
          break
        }
        let value = String(parts[1])
        guard let owner = value.split(separator: " ").first.flatMap({ Int($0.dropFirst()) }) else { continue }
        byRun[owner, default: []].append(value)
      }
      for (owner, lines) in inputs {
        let stored = byRun[owner] ?? []
        if statuses[owner] == 0 && stored != lines {
          problems.append("run \(owner) exited 0, but \(stored.count) of its \(lines.count) records are stored as sent")
        } else if stored != Array(lines.prefix(stored.count)) {
          problems.append("run \(owner) (status \(statuses[owner] ?? -1)) left no prefix of its input")
        }
      }
    }
    print("kill -9 search: seed \(seed): \(run) runs, \(exitedZero) exited 0, \(killed) killed, \(topicNumber) topics")
    #expect(problems.isEmpty, "seed \(seed) (KQ_KILL_SEED=\(seed) replays it):\n\(problems.prefix(10).joined(separator: "\n"))")
  }
}
