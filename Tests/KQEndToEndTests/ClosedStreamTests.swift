import KQTestSupport
import Testing

/// kq started with stdin, stdout or stderr closed (`<&-`, `>&-`, `2>&-`, as daemons and
/// careless cron jobs do): no descriptor kq opens may take their numbers.
@Suite("closed standard streams")
struct ClosedStreamTests {
  /// `timeout` with a KILL after it, so a kq that hangs or ignores SIGTERM ends the test.
  static func bounded(_ command: String) -> String { "timeout -k 2 10 \(command)" }

  @Test("produce with stdin closed reads nothing, stores nothing and exits 0 at once")
  func produceClosedStdin() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    for redirections in ["<&-", "<&- >&-", "<&- >&- 2>&-"] {
      let result = try kq.shell(Self.bounded("kq produce t \(redirections)") + "; echo $?")
      #expect(result.output == "0\n" && result.errors == "", "\(redirections): \(result)")
    }
    #expect(try kq.ok("describe", "t", "--json").output.contains(#""records":0"#))
  }

  @Test("consume with stdout closed exits 74 before reading, and its group commits nothing", arguments: [
    "kq consume t >&-", "kq consume t --group g >&-", "kq consume t --group g <&- >&-", "kq consume t -f --group g <&- >&-",
    "kq consume t -f --group g <&- >&- 2>&-",
  ])
  func consumeClosedStdout(command: String) throws {
    let kq = try KQSandbox()
    _ = try kq.shell("seq 1 20000 | kq produce t --create").checked()
    let result = try kq.shell(Self.bounded(command) + "; echo $?")
    let quiet = command.hasSuffix("2>&-")
    #expect(result.output == "74\n", "\(result)")
    #expect(result.errors == (quiet ? "" : "kq: error: standard output is closed (hint: give kq an output, e.g. '> /dev/null' to discard it)\n"), "\(result)")
    #expect(try kq.ok("group", "list").output == "")
  }

  @Test("commands whose output is their work refuse a closed stdout with 74; a change is made and warns", arguments: [
    ("topic list", 74), ("describe t", 74), ("--version", 74), ("produce t --print-offsets", 74),
    ("topic create u", 0),
  ])
  func otherCommandsClosedStdout(command: String, status: Int32) throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\n")
    let result = try kq.shell("echo b | " + Self.bounded("kq \(command) >&-") + "; echo $?")
    #expect(result.output == "\(status)\n", "\(result)")
    if status == 0 {
      #expect(result.errors == "kq: warning: standard output is closed; the change itself was made\n", "\(result)")
    } else {
      #expect(result.errors == "kq: error: standard output is closed (hint: give kq an output, e.g. '> /dev/null' to discard it)\n", "\(result)")
    }
    #expect(try kq.ok("consume", "t").output == "a\n", "a refused produce stored a record")
  }

  @Test("with stdin and stderr closed, a consume writes its records to stdout and nowhere else")
  func consumeClosedStdinAndStderr() throws {
    let kq = try KQSandbox()
    _ = try kq.shell("seq 1 5 | kq produce t --create").checked()
    let result = try kq.shell(Self.bounded("kq consume t --group g <&- 2>&-"))
    #expect(result.status == 0 && result.output == "1\n2\n3\n4\n5\n" && result.errors == "", "\(result)")
    #expect(try kq.committed("g", topic: "t") == [5])
  }
}
