import Foundation
import Glibc
import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// The wall clock is not monotonic: stepping it back by weeks (NTP, a VM restore) must not
/// overflow the producer's wait for its once-a-second sync.
@Suite("producer and a wall clock stepping back")
struct ProducerClockTests {
  static let start: Int64 = 1_700_000_000_000
  static let thirtyDays: Int64 = 30 * 86_400_000

  /// Reads `start` once (the producer's last sync), then 30 days earlier for ever after.
  final class SteppingBackClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    func nowMillis() -> Int64 {
      lock.withLock {
        calls += 1
        return calls == 1 ? ProducerClockTests.start : ProducerClockTests.start - ProducerClockTests.thirtyDays
      }
    }
  }

  @Test("the wait until the next sync stays within 0 and 1000 ms, whatever the clock did")
  func waitIsClamped() {
    let cases: [(last: Int64, now: Int64, wait: Int32)] = [
      (Self.start, Self.start, 1000), (Self.start, Self.start + 400, 600), (Self.start, Self.start + 5000, 0),
      (Self.start, Self.start - Self.thirtyDays, 1000), (Int64.max, 0, 0), (0, Int64.min, 0), (Int64.min, Int64.max, 0),
    ]
    for (last, now, wait) in cases {
      #expect(Producer.millisUntilSync(lastSyncMillis: last, now: now) == wait, "last \(last), now \(now)")
    }
  }

  @Test("a producer waiting on a pipe while the clock steps back 30 days stores its records and exits 0")
  func clockSteppingBack() throws {
    let directory = try TemporaryDirectory("kq-clock")
    var ends: [CInt] = [0, 0]
    try #require(pipe(&ends) == 0)
    defer { close(ends[0]) }
    #expect(write(ends[1], "a\n", 2) == 2)
    let data = directory.at("data")
    nonisolated(unsafe) let context = Context(
      environment: ["KQ_DIR": data], stdin: FileDescriptorSource(ends[0]), stdout: MemorySink(), stderr: MemorySink(),
      clock: SteppingBackClock())
    let finished = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var status = ExitStatus.software
    Thread.detachNewThread {
      status = KQ.run(arguments: ["kq", "produce", "t", "--create"], context: context)
      finished.signal()
    }
    // Once the record is stored, the producer waits for more input (it computed its wait).
    let stored = eventually {
      guard let service = try? DataDirectory.open(at: data, create: false), let topic = try? TopicName("t"),
        let reader = try? PartitionReader(folder: service.partitionFolder(topic, 0), fileSystem: FileSystem()).bounds()
      else { return false }
      return reader.end == 1
    }
    close(ends[1])
    #expect(finished.wait(timeout: .now() + 20) == .success)
    #expect(stored)
    #expect(status == .success)
  }
}
