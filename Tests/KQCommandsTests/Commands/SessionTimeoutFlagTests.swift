import Foundation
import KQTestSupport
import Testing

@testable import KQCommands

/// `--session-timeout` on a data directory: range-checked as on a cluster, and otherwise
/// without effect (a lease ends with its process; there is no session to time out).
@Suite("--session-timeout on a data directory")
struct SessionTimeoutFlagTests {
  let directory: TemporaryDirectory
  init() throws { directory = try TemporaryDirectory("kq-session-timeout") }

  func kq(_ arguments: [String], stdin: String = "") -> (status: KQCommands.ExitStatus, output: String, errors: String) {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": directory.at("data")], stdin: MemorySource(Array(stdin.utf8)), stdout: stdout, stderr: stderr,
      clock: ManualClock(1_700_000_000_000))
    return (KQ.run(arguments: ["kq"] + arguments, context: context), stdout.text, stderr.text)
  }

  @Test("a session timeout outside 100ms to 1h, or without a unit, is a usage error naming the range", arguments: [
    "99ms", "0", "10", "1h1ms", "-1", "forever", "soon",
  ])
  func outOfRange(value: String) {
    let flag = ["--session-timeout", value]
    for command in [["consume", "t", "--group", "g"] + flag, ["pipe", "t", "u", "--group", "g"] + flag + ["--", "cat"], ["mirror", "t", "u"] + flag] {
      let run = kq(command)
      #expect(run.status == .usage, "\(command): \(run.errors)")
      #expect(run.errors.contains("give a duration from 100ms to 1h"), "\(run.errors)")
    }
  }

  @Test("consume takes --session-timeout only with --group")
  func needsGroup() {
    let run = kq(["consume", "t", "--session-timeout", "10s"])
    #expect(run.status == .usage && run.errors.contains("--group"), "\(run.errors)")
  }

  @Test("locally a group reads and commits as without the flag, at either end of its range")
  func acceptedLocally() {
    #expect(kq(["produce", "t", "--create"], stdin: "a\nb\n").status == .success)
    #expect(kq(["consume", "t", "--group", "g", "--session-timeout", "100ms"]) == (.success, "a\nb\n", ""))
    #expect(kq(["produce", "t"], stdin: "c\n").status == .success)
    #expect(kq(["consume", "t", "--group", "g", "--session-timeout", "1h"]) == (.success, "c\n", ""))
  }
}
