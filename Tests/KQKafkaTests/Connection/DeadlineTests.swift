import Testing

@testable import KQKafka

@Suite("Deadlines")
struct DeadlineTests {
  @Test("a huge timeout saturates instead of trapping; a poll waits at most Int32.max ms")
  func huge() {
    let far = Deadline.after(.seconds(Int64.max))
    #expect(far.uptimeNanos == UInt64.max)
    #expect(far.pollTimeoutMillis == Int32.max)
    #expect(far.advanced(by: .seconds(Int64.max)) == far)
    #expect(Duration.seconds(Int64.max).wireMilliseconds == Int32.max)
    #expect(Duration.seconds(Int64.max).milliseconds == Int64.max)
  }

  @Test("a negative timeout is now; a passed deadline waits 0 ms")
  func negative() {
    let now = Deadline.after(.seconds(-5))
    #expect(now.pollTimeoutMillis == 0 && now.hasPassed)
    #expect(Duration.milliseconds(-3).wireMilliseconds == 0)
    #expect(Duration.milliseconds(1500).wireMilliseconds == 1500)
  }
}
