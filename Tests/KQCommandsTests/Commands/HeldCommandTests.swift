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
  @Test("a supervisor keeps none of kq's other descriptors: a command spawned before it sees its input end, and a lock kq let go is free")
  func supervisorKeepsNoOtherDescriptors() throws {
    let directory = try TemporaryDirectory()
    let first = try ChildProcess.spawn(
      executable: "/bin/cat", arguments: ["cat"], environment: ["PATH": "/usr/bin:/bin"], capturingOutput: true,
      naming: "cat")
    let lockPath = directory.path + "/lock"
    let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    try #require(lock >= 0)
    try #require(flock(lock, LOCK_EX) == 0)
    // Forked while kq holds the first command's stdin and the lock.
    let held = try Self.spawnMarking(directory.path + "/started")
    defer { held.abandon() }
    close(lock)
    // The lock is free once kq closed it (a child spawned by another test may hold it for the
    // moment between its fork and its exec: a few tries).
    var relocked = false
    for _ in 0..<40 where !relocked {
      let again = open(lockPath, O_RDWR | O_CLOEXEC)
      try #require(again >= 0)
      relocked = flock(again, LOCK_EX | LOCK_NB) == 0
      close(again)
      if !relocked { usleep(50_000) }
    }
    #expect(relocked, "the held command's supervisor still holds the lock")
    // The first command sees the end of its input although the held one's supervisor was forked
    // while kq still had it open.
    let input = Array("a\nb\n".utf8)
    let collected = ByteBuffer(capacity: 1 << 16)
    let clock = SystemClock()
    let outcome = input.withUnsafeBytes { bytes in
      first.filter(
        feeding: bytes, into: collected, deadlineMillis: clock.nowMillis() + 10_000, clock: clock, signals: nil)
    }
    #expect(!outcome.timedOut)
    #expect(outcome.ending == .exited(0))
    #expect(Array(collected.bytes) == input)
  }
}
