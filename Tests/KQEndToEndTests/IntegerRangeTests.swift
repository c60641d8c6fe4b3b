import Glibc
import KQTestSupport
import Testing

/// Issue 9, item 10 (part): numbers from flags at the ends of Int64 never trap.
@Suite("integer ranges")
struct IntegerRangeTests {
  @Test("consume -f --idle with the largest duration waits (no deadline overflow) and ends on Ctrl-C")
  func largestIdle() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "x\n")
    let follower = try kq.start("consume", "t", "-f", "--idle", "9223372036854775807ms")
    #expect(follower.readLine() == "x")
    try kq.ok("produce", "t", stdin: "y\n")  // it waited, and is still there
    #expect(follower.readLine() == "y")
    follower.signal(SIGINT)
    let ended = try follower.finish()
    #expect(ended.status == 130, "\(ended)")
  }
}
