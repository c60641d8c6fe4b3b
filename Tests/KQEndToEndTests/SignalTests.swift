import Glibc
import KQTestSupport
import Testing

/// Unix manners that only a real process shows: a closed pipe, Ctrl-C, SIGTERM.
@Suite("signals and closed pipes")
struct SignalTests {
  @Test("kq consume big | head -1 prints one line, says nothing and exits 0")
  func headClosesPipe() throws {
    let kq = try KQSandbox()
    try kq.shell("seq 1 200000 | kq produce big --create").checked()
    let result = try kq.shell("set -o pipefail; kq consume big | head -1")
    #expect(result.status == 0, "\(result)")
    #expect(result.output == "1\n")
    #expect(result.errors == "")
    let status = try kq.shell("kq consume big --format '%o %s\\n' | head -c 10 >/dev/null; echo ${PIPESTATUS[0]}")
    #expect(status.output == "0\n" && status.errors == "", "\(status)")
  }

  @Test("a follower whose reader has gone exits 0 quietly while it waits")
  func followerNoticesClosedPipe() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\nb\n")
    let result = try kq.shell("set -o pipefail; kq consume t -f | head -1")
    #expect(result.status == 0 && result.output == "a\n" && result.errors == "", "\(result)")
  }

  @Test("Ctrl-C during produce keeps every record already written to its stdin and exits 130")
  func interruptedProduceKeepsRecords() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    let follower = try kq.start("consume", "t", "-f")
    let producer = try kq.start("produce", "t")
    let lines = (0..<50).map { "record \($0)" }
    producer.write(lines.joined(separator: "\n") + "\n")
    for line in lines { #expect(follower.readLine() == line) }
    producer.signal(SIGINT)
    let ended = try producer.finish(timeout: 10)
    #expect(ended.status == 130, "\(ended)")
    #expect(ended.errors == "kq: interrupted; 50 records stored\n")
    #expect(try kq.ok("consume", "t").lines == lines)
    follower.signal(SIGINT)
    _ = try follower.finish()
  }

  @Test("SIGTERM ends produce with 143 and keeps the records read so far")
  func terminatedProduceKeepsRecords() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    let producer = try kq.start("produce", "t", "--print-offsets")
    producer.write("a\nb\n")
    #expect(producer.readLine() == "0 0")
    #expect(producer.readLine() == "0 1")
    producer.signal(SIGTERM)
    let ended = try producer.finish(timeout: 10)
    #expect(ended.status == 143, "\(ended)")
    #expect(try kq.ok("consume", "t").output == "a\nb\n")
  }

  @Test("Ctrl-C ends consume -f with 130 and no message")
  func interruptedFollower() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\n")
    let follower = try kq.start("consume", "t", "-f")
    #expect(follower.readLine() == "a")
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130 && ended.output == "a\n" && ended.errors == "", "\(ended)")
  }
}
