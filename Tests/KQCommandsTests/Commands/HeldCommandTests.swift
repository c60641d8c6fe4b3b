import Foundation
import Glibc
import KQLog
import KQTestSupport
import Testing

@testable import KQCommands

/// `ChildProcess.spawn(held: true)`: kq pipe forks the next batch's supervisor while the
/// current command still runs; the command itself starts only when released.
@Suite("held commands")
struct HeldCommandTests {
  /// A command that leaves a mark when it starts, then copies its stdin to its stdout.
  static func spawnMarking(_ marker: String) throws -> ChildProcess {
    // As kq does (Context.process): a feeder writing to a command killed meanwhile gets EPIPE,
    // never a SIGPIPE that would end the test process.
    signal(SIGPIPE, SIG_IGN)
    return try ChildProcess.spawn(
      executable: "/bin/sh", arguments: ["sh", "-c", #"touch "$MARK"; cat"#], environment: ["MARK": marker, "PATH": "/usr/bin:/bin"],
      capturingOutput: true, held: true, naming: "mark")
  }

  @Test("a held command starts at release and filters its input as any other")
  func released() throws {
    let directory = try TemporaryDirectory()
    let marker = directory.path + "/started"
    let child = try Self.spawnMarking(marker)
    #expect(child.isHeld)
    // Its supervisor lives and waits: nothing ran.
    usleep(50_000)
    #expect(!FileManager.default.fileExists(atPath: marker))
    child.release()
    #expect(!child.isHeld)
    let collected = ByteBuffer(capacity: 1 << 16)
    let input = Array("a\nb\n".utf8)
    let outcome = input.withUnsafeBytes { bytes in
      child.filter(feeding: bytes, into: collected, deadlineMillis: nil, clock: SystemClock(), signals: nil)
    }
    #expect(outcome.ending == .exited(0))
    #expect(outcome.tookEverything)
    #expect(Array(collected.bytes) == input)
    #expect(FileManager.default.fileExists(atPath: marker))
  }

  @Test("filter starts a held command that was not released, with its input fed ahead by a thread")
  func filterReleases() throws {
    let directory = try TemporaryDirectory()
    let marker = directory.path + "/started"
    let child = try Self.spawnMarking(marker)
    let input = [UInt8](repeating: 120, count: 3 << 20) + [10]  // larger than the pipe: the feeder waits meanwhile
    let collected = ByteBuffer(capacity: 1 << 16)
    let outcome = input.withUnsafeBytes { bytes in
      child.startFeeding(bytes)
      return child.filter(feeding: bytes, into: collected, deadlineMillis: nil, clock: SystemClock(), signals: nil)
    }
    #expect(outcome.ending == .exited(0))
    #expect(outcome.tookEverything)
    #expect(collected.count == input.count)
    #expect(FileManager.default.fileExists(atPath: marker))
  }

  @Test("a held command abandoned, its input already being fed, never runs, and its supervisor is gone")
  func abandoned() throws {
    let directory = try TemporaryDirectory()
    let marker = directory.path + "/started"
    let child = try Self.spawnMarking(marker)
    let input = [UInt8](repeating: 120, count: 3 << 20)
    input.withUnsafeBytes { bytes in
      child.startFeeding(bytes)
      child.abandon()
    }
    #expect(!FileManager.default.fileExists(atPath: marker))
    #expect(kill(child.group, 0) != 0, "the supervisor is reaped")
  }
}
