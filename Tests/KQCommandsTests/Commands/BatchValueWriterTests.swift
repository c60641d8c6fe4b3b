import Foundation
import Glibc
import KQLog
import KQTestSupport
import Testing

@testable import KQCommands

/// Consume's bulk path: jobs checked, copied and written by two threads taking turns, the
/// output in the order the batches were added, whatever either thread's speed.
@Suite("bulk values written on two threads")
struct BatchValueWriterTests {
  /// Batches of about 60 KB: about thirteen a job, and eleven jobs in all.
  static let batchCount = 144

  /// `batches` batches of `perBatch` records "batch-record" padded to 100 bytes, and the lines
  /// a consumer prints for them.
  static func batches(_ batches: Int, perBatch: Int) -> (bytes: [UInt8], lines: String) {
    let encoder = BatchEncoder(maxBatchBytes: 1 << 20)
    var lines = ""
    let headers: [UInt8] = [0]
    for b in 0..<batches {
      for r in 0..<perBatch {
        let value = Array(String(format: "%06d-%06d-%086d", b, r, 0).utf8)
        value.withUnsafeBytes { v in
          headers.withUnsafeBytes { h in _ = encoder.append(key: nil, value: v, headers: h, timestamp: 1_700_000_000_000) }
        }
        lines += String(decoding: value, as: UTF8.self) + "\n"
      }
      encoder.sealBatch()
    }
    return (Array(encoder.finish()), lines)
  }

  /// Adds every batch of `bytes` to a writer on a new file, with `delay` run by each thread
  /// about to copy a job; returns the file's text, or nil when the writer did not finish
  /// within 30 seconds (the threads waiting on each other).
  static func write(_ bytes: [UInt8], delay: @escaping @Sendable (Int, Bool) -> Void) throws -> (String, failed: Bool)? {
    let directory = try TemporaryDirectory()
    let path = directory.path + "/out"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try #require(fd >= 0)
    defer { close(fd) }
    let writer = try #require(BatchValueWriter.forFileOrNull(FileDescriptorSink(fd), terminator: 10))
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failed = false
    let gathering = Thread {
      let gatherer = pthread_self()
      writer.beforeCopying = { sequence in delay(sequence, pthread_equal(pthread_self(), gatherer) != 0) }
      bytes.withUnsafeBytes { raw in
        var position = 0
        while position < raw.count,
          let size = RecordBatchView.announcedSize(at: raw.baseAddress! + position, available: raw.count - position)
        {
          let view = RecordBatchView(unchecked: raw.baseAddress! + position, size: size)
          writer.add(UncheckedBatch(view: view, memory: nil, maxMessageBytes: 1 << 20), cursor: 0, records: Int(view.recordCount))
          position += size
        }
        writer.finish()
        failed = writer.hasFailed
      }
      done.signal()
    }
    gathering.start()
    guard done.wait(timeout: .now() + 30) == .success else { return nil }
    return (try String(contentsOfFile: path, encoding: .utf8), failed)
  }

  @Test("the second thread held up after taking a job: the one whose turn it is goes on, the others wait for it, all in order")
  func secondThreadHeldUp() throws {
    let (bytes, lines) = Self.batches(Self.batchCount, perBatch: 600)
    // The second thread sleeps on every other job it takes, long enough for the gathering
    // thread to copy two later jobs meanwhile.
    let result = try Self.write(bytes) { sequence, onGatherer in
      if !onGatherer && sequence % 2 == 1 { usleep(30_000) }
    }
    let (text, failed) = try #require(result, "the two threads waited on each other")
    #expect(!failed)
    #expect(text == lines)
  }

  @Test("the gathering thread held up instead, and neither held up: the same bytes")
  func gathererHeldUp() throws {
    let (bytes, lines) = Self.batches(Self.batchCount, perBatch: 600)
    for holdsGatherer in [true, false] {
      let result = try Self.write(bytes) { sequence, onGatherer in
        if holdsGatherer && onGatherer && sequence % 3 == 0 { usleep(20_000) }
      }
      let (text, failed) = try #require(result, "the two threads waited on each other")
      #expect(!failed && text == lines)
    }
  }

  @Test("a batch failing its CRC: the values before it written, none after, and where the unwritten records begin")
  func damagedBatch() throws {
    var (bytes, lines) = Self.batches(Self.batchCount, perBatch: 600)
    // Damage the 30th batch's records: its CRC no longer matches.
    var position = 0
    for _ in 0..<29 {
      position += bytes.withUnsafeBytes { RecordBatchView.announcedSize(at: $0.baseAddress! + position, available: $0.count - position) ?? 0 }
    }
    bytes[position + 200] ^= 0xFF
    let result = try Self.write(bytes) { sequence, onGatherer in
      if !onGatherer && sequence % 2 == 1 { usleep(10_000) }
    }
    let (text, failed) = try #require(result, "the two threads waited on each other")
    #expect(failed)
    let expected = lines.split(separator: "\n", omittingEmptySubsequences: false).prefix(29 * 600).map { $0 + "\n" }.joined()
    #expect(text == expected)
  }
}
