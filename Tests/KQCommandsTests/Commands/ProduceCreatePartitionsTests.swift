import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// `produce --json --create` sizes the topic it creates for the partitions its records name;
/// a topic it did not create keeps its partitions and the record is refused (issue 9, item 15).
@Suite("produce --create and the partitions JSON records name")
struct ProduceCreatePartitionsTests {
  let directory: TemporaryDirectory
  init() throws { directory = try TemporaryDirectory("kq-create-partitions") }

  func kq(_ arguments: String..., stdin: String = "") -> (status: KQCommands.ExitStatus, output: String, errors: String) {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": directory.at("data")], stdin: MemorySource(Array(stdin.utf8)), stdout: stdout, stderr: stderr,
      clock: ManualClock(1_700_000_000_000))
    return (KQ.run(arguments: ["kq"] + arguments, context: context), stdout.text, stderr.text)
  }

  static let input = #"{"value":"a","partition":2}"# + "\n" + #"{"value":"b","partition":0}"# + "\n"
    + #"{"value":"c","partition":5}"# + "\n" + #"{"value":"d"}"# + "\n"

  @Test("a topic created by this run grows to the highest partition named, and every record lands where it said")
  func createdTopicGrows() throws {
    let run = kq("produce", "copy", "--json", "--create", stdin: Self.input)
    #expect(run.status == .success, "\(run.errors)")
    let service = LocalLogService(directory: try DataDirectory.open(at: directory.at("data"), create: false))
    #expect(try service.config(of: TopicName("copy")).partitions == 6)
    let consumed = kq("consume", "copy", "--format", "%p %s\\n")
    #expect(consumed.output.split(separator: "\n").sorted().filter { !$0.hasSuffix(" d") } == ["0 b", "2 a", "5 c"])
    #expect(consumed.output.split(separator: "\n").count == 4)
  }

  @Test("a topic that existed before keeps its partitions: the record is refused naming the fix, and earlier records stay")
  func existingTopicRefuses() throws {
    #expect(kq("topic", "create", "copy", "--partitions", "3").status == .success)
    let run = kq("produce", "copy", "--json", "--create", stdin: Self.input)
    #expect(run.status == .dataError)
    #expect(run.errors.contains("line 3: partition 5 does not exist (the topic has 3); 2 records before it were stored"), "\(run.errors)")
    #expect(run.errors.contains("kq topic alter copy --partitions 6"), "\(run.errors)")
    let service = LocalLogService(directory: try DataDirectory.open(at: directory.at("data"), create: false))
    #expect(try service.config(of: TopicName("copy")).partitions == 3)
    #expect(kq("consume", "copy", "--format", "%p %s\\n").output.split(separator: "\n").sorted() == ["0 b", "2 a"])
  }
}
