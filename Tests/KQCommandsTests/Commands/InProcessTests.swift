import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Commands run in-process through `KQ.run`, with memory streams and a manual clock.
@Suite("commands in-process")
struct InProcessTests {
  struct Run {
    var status: KQCommands.ExitStatus
    var output: String
    var errors: String
  }

  let directory: TemporaryDirectory
  let clock = ManualClock(1_700_000_000_000)

  init() throws { directory = try TemporaryDirectory("kq-inprocess") }

  func kq(_ arguments: String..., stdin: String = "") -> Run {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": directory.at("data")], stdin: MemorySource(Array(stdin.utf8), chunk: 7), stdout: stdout,
      stderr: stderr, clock: clock)
    let status = KQ.run(arguments: ["kq"] + arguments, context: context)
    return Run(status: status, output: stdout.text, errors: stderr.text)
  }

  @Test("records produced from stdin read in 7-byte pieces come back whole and in order")
  func produceConsumeRoundTrip() {
    #expect(kq("produce", "t", "--create", stdin: "alpha\nbeta\n\ngamma").status == KQCommands.ExitStatus.success)
    let consumed = kq("consume", "t")
    #expect(consumed.status == KQCommands.ExitStatus.success)
    #expect(consumed.output == "alpha\nbeta\n\ngamma\n")
  }

  @Test("timestamps come from the clock handed in, and --format renders them")
  func clockTimestamps() {
    _ = kq("produce", "t", "--create", "-K", ":", stdin: "k:v\n")
    clock.advance(by: 5_000)
    _ = kq("produce", "t", stdin: "w\n")
    #expect(kq("consume", "t", "--format", "%o %T %k|%s\\n").output == "0 1700000000000 k|v\n1 1700000005000 |w\n")
  }

  @Test("--since counts back from the clock handed in")
  func sinceUsesClock() {
    _ = kq("produce", "t", "--create", stdin: "old\n")
    clock.advance(by: 3_600_000)
    _ = kq("produce", "t", stdin: "new\n")
    #expect(kq("consume", "t", "--since", "30m").output == "new\n")
  }

  @Test("a missing topic is exit 66 with a hint naming the command that creates it")
  func missingTopic() {
    let run = kq("consume", "nope")
    #expect(run.status == KQCommands.ExitStatus.noInput)
    #expect(run.output == "")
    #expect(
      run.errors
        == "kq: error: topic 'nope' does not exist (hint: create it with 'kq topic create nope', or produce with --create)\n")
  }

  @Test("describe --json reports partitions with snake_case keys")
  func describeJSON() {
    _ = kq("produce", "t", "--create", stdin: "a\nb\nc\n")
    let run = kq("describe", "t", "--json")
    #expect(run.status == KQCommands.ExitStatus.success)
    #expect(run.output.contains("\"log_start_offset\":0,\"end_offset\":3,\"records\":3"))
    #expect(run.output.contains("\"first_timestamp\":1700000000000,\"last_timestamp\":1700000000000"))
  }
}
