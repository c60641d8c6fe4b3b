import Foundation
import KQLog
import Testing

/// `CoreSplit`: the calling thread on one core, the second on the others, and the cores given
/// back; nothing to split where a thread may use one core only.
@Suite("two threads on different cores")
struct CoreSplitTests {
  /// Runs `body` on a thread of its own (the split changes the calling thread's cores) and waits.
  static func onOwnThread(_ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      body()
      done.signal()
    }
    thread.start()
    done.wait()
  }

  @Test("split: one core for the caller, the others for the second thread, all given back")
  func splitsAndGivesBack() {
    nonisolated(unsafe) var seen: (before: Int, caller: Int, again: Bool, second: Int, after: Int)?
    Self.onOwnThread {
      let before = CoreSplit.coresAllowed
      guard before >= 2 else {
        seen = (before, before, CoreSplit() != nil, 0, CoreSplit.coresAllowed)
        return
      }
      guard let split = CoreSplit(), split.confineCaller() else { return }
      let caller = CoreSplit.coresAllowed
      // The caller may now use one core: nothing more to split.
      let again = CoreSplit() != nil
      nonisolated(unsafe) var second = 0
      Self.onOwnThread {
        split.enterSecondThread()
        second = CoreSplit.coresAllowed
      }
      split.releaseCaller()
      seen = (before, caller, again, second, CoreSplit.coresAllowed)
    }
    guard let result = seen else {
      Issue.record("CoreSplit refused to split \(CoreSplit.coresAllowed) cores")
      return
    }
    if result.before >= 2 {
      #expect(result.caller == 1)
      #expect(!result.again)
      #expect(result.second == result.before - 1)
      #expect(result.after == result.before)
    } else {
      #expect(!result.again && result.after == result.before)
    }
  }
}
