import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// `MarkedOutput.addLines`, the bulk path of `kq pipe`'s keyless lines, against `add` record by
/// record: the same stored bytes, marks included, whatever the lines and wherever the reads of
/// the command's output cut them.
@Suite("pipe output: lines in bulk")
struct MarkedOutputLinesTests {
  static let maxMessageBytes: Int64 = 8192
  static let timestamp: Int64 = 1_700_000_000_000

  /// The longest line `addLines` takes, as `PipeOutputParser` computes it.
  static func largestValue(_ output: MarkedOutput) -> Int {
    Int(maxMessageBytes) - 1 - output.reservedHeaderBytes - BatchLayout.headerSize - 32
  }

  /// Lines with the edges: empty ones, CR before LF, lengths from 0 to past `addLines`'s
  /// largest (which `add` then takes, in a batch of its own), most about 100 bytes.
  static func text(seed: UInt64, lines: Int, largest: Int) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var text: [UInt8] = []
    for number in 0..<lines {
      let length: Int
      switch Int.random(in: 0..<20, using: &generator) {
      case 0: length = 0
      case 1: length = Int.random(in: 1...2000, using: &generator)
      case 2 where number % 7 == 0: length = largest + Int.random(in: 0...3, using: &generator) - 1
      default: length = Int.random(in: 90...110, using: &generator)
      }
      text += (0..<length).map { UInt8(97 + ($0 + number) % 26) }
      if number % 5 == 0 { text.append(13) }
      text.append(10)
    }
    return text
  }

  /// Adds `text`'s lines as `PipeOutputParser` does: read by read of `chunk` bytes, each read's
  /// lines in bulk and the line the bulk path stops at by `add`; an unterminated last line by
  /// `add` at the end.
  static func addInBulk(_ text: [UInt8], chunk: Int, partition: Int, to output: MarkedOutput) {
    let buffer = ByteBuffer(capacity: 1 << 16)
    var read = 0
    let headers: [UInt8] = [0]
    headers.withUnsafeBytes { headers in
      while read < text.count {
        let n = min(chunk, text.count - read)
        buffer.append(Array(text[read..<(read + n)]))
        read += n
        var start = 0
        while start < buffer.count {
          let run = output.addLines(
            buffer.base, from: start, count: buffer.count, delimiter: 10, headers: headers, timestamp: timestamp,
            largestValue: largestValue(output), partition: partition)
          start = run.end
          guard start < buffer.count, let found = memchr(buffer.base + start, 10, buffer.count - start) else { break }
          let end = UnsafeMutableRawPointer(found) - buffer.base
          output.add(
            key: nil, value: UnsafeRawBufferPointer(start: buffer.base + start, count: end - start), headers: headers,
            timestamp: timestamp, partition: partition)
          start = end + 1
        }
        buffer.removeFirst(start)
      }
      if buffer.count > 0 {
        output.add(key: nil, value: buffer.bytes, headers: headers, timestamp: timestamp, partition: partition)
      }
    }
  }

  /// Adds `text`'s lines one by one with `add`.
  static func addOneByOne(_ text: [UInt8], partition: Int, to output: MarkedOutput) {
    var lines = text.split(separator: 10, omittingEmptySubsequences: false)
    if text.last == 10 { lines.removeLast() }
    for line in lines {
      Array(line).withUnsafeBytes { value in
        [UInt8(0)].withUnsafeBytes { headers in
          output.add(key: nil, value: value, headers: headers, timestamp: timestamp, partition: partition)
        }
      }
    }
  }

  /// Each output partition's log file, after two ranges (the second into the other partition).
  static func stored(_ text: [UInt8], chunk: Int?) throws -> [[UInt8]] {
    let setup = try MarkedOutputTests.Setup(maxMessageBytes: maxMessageBytes)
    let output = setup.open()
    _ = try output.resume([setup.input], start: { _ in 0 })
    for (range, partition) in [(0..<10, 1), (10..<20, 0)] as [(Range<Int64>, Int)] {
      output.begin(setup.input, range: range)
      if let chunk { addInBulk(text, chunk: chunk, partition: partition, to: output) } else { addOneByOne(text, partition: partition, to: output) }
      try output.end()
    }
    try output.commit()
    return try (0..<2).map { Array(try Data(contentsOf: URL(fileURLWithPath: setup.logPath($0)))) }
  }

  @Test("lines in bulk store the bytes add stores one by one, wherever reads cut them", arguments: [1, 97, 4096, 65536, 1 << 20])
  func bulkStoresTheSameBytes(chunk: Int) throws {
    let largest = Int(Self.maxMessageBytes) - 1 - (1 + 1 + PipeMark.headerName.count + 2 + 1100) - BatchLayout.headerSize - 32
    for (seed, unterminated) in [(UInt64(13), false), (UInt64(2026), true)] {
      var text = Self.text(seed: seed, lines: 600, largest: largest)
      if unterminated { text += Array("no newline at the end".utf8) }
      let reference = try Self.stored(text, chunk: nil)
      #expect(reference.allSatisfy { $0.count > 4 * Int(Self.maxMessageBytes) }, "the test needs several batches per range")
      #expect(try Self.stored(text, chunk: chunk) == reference, "seed \(seed), reads of \(chunk) bytes")
    }
  }

  @Test("a replay in bulk writes only the missing records, after a cut anywhere in the output", arguments: 0..<8)
  func bulkReplayWritesOnlyMissingRecords(cutAt cut: Int) throws {
    let setup = try MarkedOutputTests.Setup(partitions: 1, maxMessageBytes: Self.maxMessageBytes)
    let text = Self.text(seed: 7, lines: 300, largest: 100)
    let crashed = setup.open()
    _ = try crashed.resume([setup.input], start: { _ in 0 })
    for range in [0..<10, 10..<20] as [Range<Int64>] {
      crashed.begin(setup.input, range: range)
      Self.addInBulk(text, chunk: 4096, partition: 0, to: crashed)
      try crashed.end()
      if range.lowerBound == 0 { try crashed.commit() }
    }
    crashed.close()  // killed: the second range written, not committed
    let complete = try setup.stored(0)
    let path = setup.logPath(0)
    let batches = try Batches.scan(path)
    let lines = complete.count / 2
    let candidates = batches.filter { $0.header.baseOffset >= Int64(lines) }
    #expect(candidates.count > 4, "the test needs several batches per range")
    let index = cut % candidates.count
    let batch = candidates[index]
    try ByteSurgery.truncate(path, to: batch.position + (cut >= candidates.count / 2 ? batch.header.size / 2 : 0))

    let resumed = setup.open()
    let resume = try resumed.resume([setup.input], start: { _ in 0 })
    // Cut in its first batch, the range left no mark: it is processed anew, not replayed.
    #expect(resume[setup.input]?.replays == (index == 0 ? [] : [10..<20]), "\(resume)")
    resumed.begin(setup.input, range: 10..<20)
    Self.addInBulk(text, chunk: 4096, partition: 0, to: resumed)
    try resumed.end()
    try resumed.commit()
    #expect(try setup.committed() == 20)
    #expect(try setup.stored(0) == complete)
  }
}
