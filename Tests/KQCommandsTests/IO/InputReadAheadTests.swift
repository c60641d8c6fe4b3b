import Foundation
import Glibc
import Testing

@testable import KQCommands

/// `InputReadAhead` over real pipes: every byte once and in order across many turns of the
/// ring, the end and the signals seen, and `stop` never held up by an idle writer.
@Suite("stdin read on a second thread")
struct InputReadAheadTests {
  /// A pipe whose write end `write` feeds from a thread of its own, in chunks of `chunk` bytes.
  final class Feeder: @unchecked Sendable {
    let readEnd: CInt
    let writeEnd: CInt
    init() throws {
      var ends: [CInt] = [0, 0]
      try #require(pipe(&ends) == 0)
      readEnd = ends[0]
      writeEnd = ends[1]
    }
    func write(_ bytes: [UInt8], chunks: [Int], closing: Bool) -> Thread {
      let thread = Thread { [self] in
        var offset = 0
        var turn = 0
        while offset < bytes.count {
          let size = min(chunks[turn % chunks.count], bytes.count - offset)
          turn += 1
          let n = bytes.withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress! + offset, size) }
          if n <= 0 { break }
          offset += n
        }
        if closing { close(writeEnd) }
      }
      thread.start()
      return thread
    }
    deinit { close(readEnd) }
  }

  /// Takes everything `ahead` reads until the end, consuming `takes` bytes at a time in turn.
  static func drain(_ ahead: InputReadAhead, takes: [Int]) -> (bytes: [UInt8], ended: Bool) {
    var out: [UInt8] = []
    var turn = 0
    while true {
      let available = ahead.available()
      if available.count > 0 {
        let n = min(available.count, takes[turn % takes.count])
        turn += 1
        out += UnsafeRawBufferPointer(start: available.bytes, count: n)
        ahead.consume(n)
        continue
      }
      if available.ended || available.failure != nil { return (out, available.ended) }
      _ = ahead.wait(forMoreThan: 0, signals: nil, timeout: 5_000)
    }
  }

  @Test("30 MB in uneven writes and takes, with a prefix: the same bytes in order, then the end")
  func everyByteOnceInOrder() throws {
    let feeder = try Feeder()
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<30_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let prefix = Array("what the caller read itself\n".utf8)
    let ahead = try #require(
      prefix.withUnsafeBytes { InputReadAhead(fd: feeder.readEnd, prefix: $0, ringSize: 1 << 16, readSize: 10_007) })
    let writer = feeder.write(bytes, chunks: [1, 65_536, 4_097, 300_000, 77], closing: true)
    let (read, ended) = Self.drain(ahead, takes: [1, 9_999, 65_536, 123, 40_000])
    #expect(ended)
    #expect(read.count == prefix.count + bytes.count)
    #expect(read == prefix + bytes)
    ahead.stop()
    _ = writer
  }

  @Test("the caller reads while it would wait, beside the reading thread: every byte once and in order")
  func callerAndThreadTakeTurns() throws {
    let feeder = try Feeder()
    let bytes = (0..<20_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 16) }
    let ahead = try #require(
      InputReadAhead(fd: feeder.readEnd, prefix: UnsafeRawBufferPointer(start: nil, count: 0), ringSize: 1 << 16, readSize: 4_096))
    let writer = feeder.write(bytes, chunks: [1 << 20, 3, 50_000], closing: true)
    let (read, ended) = Self.drain(ahead, takes: [70_000, 1, 8_191])
    #expect(ended)
    #expect(read.count == bytes.count)
    #expect(read == bytes)
    // The caller drains the ring faster than the thread fills it 4 KiB at a time, so it finds
    // the pipe holding bytes when it comes to wait: some reads were its own.
    #expect(ahead.callerReads > 0)
    ahead.stop()
    _ = writer
  }

  @Test("a full ring waits for the caller: the reading thread never overwrites what was not consumed")
  func fullRingWaits() throws {
    let feeder = try Feeder()
    let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let ahead = try #require(InputReadAhead(fd: feeder.readEnd, prefix: UnsafeRawBufferPointer(start: nil, count: 0), ringSize: 1 << 16, readSize: 1 << 16))
    _ = feeder.write(bytes, chunks: [200_000], closing: true)
    // Nothing consumed: the ring fills up and stays as it was read.
    #expect(ahead.wait(forMoreThan: ahead.ring.size - 1, signals: nil, timeout: 10_000) == .more)
    Thread.sleep(forTimeInterval: 0.1)
    let full = ahead.available()
    #expect(full.count == ahead.ring.size && !full.ended)
    #expect(Array(UnsafeRawBufferPointer(start: full.bytes, count: full.count)) == Array(bytes[0..<ahead.ring.size]))
    let (rest, ended) = Self.drain(ahead, takes: [5_000])
    #expect(ended && rest == bytes)
  }

  @Test("stop returns at once while the writer is idle, and a wait times out or sees a signal")
  func stopAndWaitWhileIdle() throws {
    let feeder = try Feeder()
    let ahead = try #require(InputReadAhead(fd: feeder.readEnd, prefix: UnsafeRawBufferPointer(start: nil, count: 0)))
    let clock = ContinuousClock()
    let waited = clock.measure { #expect(ahead.wait(forMoreThan: 0, signals: nil, timeout: 120) == .timeout) }
    #expect(waited >= .milliseconds(100))
    var signalEnds: [CInt] = [0, 0]
    try #require(pipe(&signalEnds) == 0)
    defer { for end in signalEnds { close(end) } }
    var byte: UInt8 = 2
    _ = Glibc.write(signalEnds[1], &byte, 1)
    #expect(ahead.wait(forMoreThan: 0, signals: signalEnds[0], timeout: -1) == .signal)
    let stopped = clock.measure { ahead.stop() }
    #expect(stopped < .seconds(5))
    #expect(ahead.available().count == 0 && !ahead.available().ended)
    close(feeder.writeEnd)
  }
}
