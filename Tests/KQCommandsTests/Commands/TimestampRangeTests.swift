import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Issue 9, items 2, 10 and 19: record timestamps are 0…Int64.max or -1 (none), refused
/// otherwise where they enter; no timestamp is a magic "no stop"; arithmetic on them never traps.
@Suite("timestamp range")
struct TimestampRangeTests {
  let directory: TemporaryDirectory
  let clock = ManualClock(1_700_000_000_000)
  init() throws { directory = try TemporaryDirectory("kq-timestamps") }

  func kq(_ arguments: String..., stdin: String = "") -> (status: KQCommands.ExitStatus, output: String, errors: String) {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": directory.at("data")], stdin: MemorySource(Array(stdin.utf8)), stdout: stdout,
      stderr: stderr, clock: clock)
    let status = KQ.run(arguments: ["kq"] + arguments, context: context)
    return (status, stdout.text, stderr.text)
  }

  static let maxTimestampInput = """
    {"value":"a"}
    {"value":"p","timestamp":9223372036854775807}
    {"value":"c"}

    """

  @Test("a record stamped Int64.max ends nothing: consume, a follower and a group read past it")
  func largestTimestampIsARecord() {
    #expect(kq("produce", "t", "--create", "--json", stdin: Self.maxTimestampInput).status == .success)
    #expect(kq("consume", "t").output == "a\np\nc\n")
    #expect(kq("consume", "t", "-f", "-n", "3").output == "a\np\nc\n")
    #expect(kq("consume", "t", "--group", "g").output == "a\np\nc\n")
    #expect(kq("consume", "t", "--group", "g").output == "")
    #expect(kq("consume", "t", "--format", "%T %s\\n", "--until", "@9223372036854775807").output == "1700000000000 a\n")
  }

  @Test("timestamps before 1970 other than -1 (none) are refused where records enter, as Kafka refuses them")
  func negativeTimestampsRefused() {
    _ = kq("topic", "create", "t")
    for text in ["@-2", "@-9223372036854775807", "1960-01-01"] {
      let run = kq("produce", "t", "--timestamp", text, stdin: "x\n")
      #expect(run.status == .usage, "\(text): \(run)")
      #expect(run.errors.contains("a record's time is 1970 or later, or @-1 for none"), "\(run.errors)")
    }
    let json = kq("produce", "t", "--json", stdin: #"{"value":"x","timestamp":-2}"# + "\n")
    #expect(json.status == .dataError)
    #expect(json.errors.hasPrefix("kq: error: line 1: "), "\(json.errors)")
    #expect(json.errors.contains("a record's time is 1970 or later, or -1 for none"), "\(json.errors)")
    let before1970 = kq("produce", "t", "--json", stdin: #"{"value":"x","timestamp":"1969-12-31T23:59:59Z"}"# + "\n")
    #expect(before1970.status == .dataError)
    #expect(kq("produce", "t", "--timestamp", "@-1", stdin: "none\n").status == .success)
    #expect(kq("produce", "t", "--json", stdin: #"{"value":"none too","timestamp":-1}"# + "\n").status == .success)
    #expect(kq("consume", "t", "--format", "%T %s\\n").output == "-1 none\n-1 none too\n")
  }

  @Test("describe shows a LogAppendTime topic's first timestamp as the append time, not the producer's")
  func describeLogAppendTime() throws {
    _ = kq("topic", "create", "t", "--config", "message.timestamp.type=LogAppendTime")
    #expect(kq("produce", "t", "--json", stdin: #"{"value":"x","timestamp":1000}"# + "\n").status == .success)
    let described = try JSON.object(kq("describe", "t", "--json").output)
    let partition = try #require((described["partitions"] as? [[String: Any]])?.first)
    #expect(JSON.int(partition["first_timestamp"]) == 1_700_000_000_000)
    #expect(JSON.int(partition["last_timestamp"]) == 1_700_000_000_000)
  }
}
