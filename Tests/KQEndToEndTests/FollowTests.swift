import Glibc
import KQTestSupport
import Testing

/// `consume -f` sees records as they are produced; every wait is on a pipe, never a clock.
@Suite("follow")
struct FollowTests {
  @Test("consume --follow prints a record produced while it waits")
  func followSeesNewRecords() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "logs", "--create", stdin: "first\n")
    let follower = try kq.start("consume", "logs", "--follow")
    #expect(follower.readLine() == "first")
    try kq.ok("produce", "logs", stdin: "second\n")
    #expect(follower.readLine() == "second")
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130 && ended.errors == "", "\(ended)")
  }

  @Test("each line written to a running produce reaches a running follower at once")
  func slowProducer() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "logs", "--partitions", "2")
    let follower = try kq.start("consume", "logs", "-f", "--format", "%s\\n")
    let producer = try kq.start("produce", "logs")
    for index in 0..<5 {
      producer.write("line \(index)\n")
      #expect(follower.readLine() == "line \(index)")
    }
    producer.closeInput()
    #expect(try producer.finish().status == 0)
    follower.signal(SIGTERM)
    #expect(try follower.finish().status == 143)
  }

  @Test("a follower of chosen partitions from the end sees only new records of those partitions")
  func followFromEndOfPartition() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "3")
    try kq.ok("produce", "t", "-p", "2", stdin: "old\n")
    let follower = try kq.start("consume", "t", "-f", "-p", "2", "--from", "end", "--format", "%p %o %s\\n")
    let producer = try kq.start("produce", "t", "--json")
    // The follower fixes "the end" once it has started: records produced before that are not
    // new to it, so offer new ones until it prints one (the timeout only paces the offers).
    var first: String?
    for attempt in 0..<30 where first == nil {
      producer.write(#"{"value":"elsewhere","partition":1}"# + "\n" + #"{"value":"new \#(attempt)","partition":2}"# + "\n")
      first = follower.readLine(timeout: 1)
    }
    let fields = try #require(first?.split(separator: " ").map(String.init))
    #expect(fields.count == 4 && fields[0] == "2" && fields[2] == "new", "\(fields)")
    #expect(Int(fields[1]) == (Int(fields[3]) ?? -9) + 1, "offset and attempt disagree: \(fields)")
    producer.closeInput()
    #expect(try producer.finish().status == 0)
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130, "\(ended)")
    #expect(ended.lines.allSatisfy { $0.hasPrefix("2 ") && $0.contains(" new ") }, "\(ended)")
  }

  @Test("consume -f -n N exits 0 after N records, waiting for the ones not yet produced")
  func followWithMax() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\n")
    let follower = try kq.start("consume", "t", "-f", "-n", "2")
    #expect(follower.readLine() == "a")
    try kq.ok("produce", "t", stdin: "b\nc\n")
    let ended = try follower.finish()
    #expect(ended.status == 0 && ended.output == "a\nb\n", "\(ended)")
  }
}
