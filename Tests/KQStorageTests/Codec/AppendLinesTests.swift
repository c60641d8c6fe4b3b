import Glibc
import KQTestSupport
import Testing

import KQLog

/// `BatchEncoder.appendLines` (produce's plain lines, `kq pipe`'s output) must store exactly
/// what `append(key:value:headers:timestamp:)` stores line by line: the same batches, sealed
/// at the same records, whichever of its two ways (one pass, or through `append`) a record
/// goes.
@Suite("batch encoder: lines in bulk")
struct AppendLinesTests {
  static let time: Int64 = 1_700_000_000_000

  struct Setting {
    var headers: [UInt8] = [0]
    var maxBatchBytes = 1 << 20
    var largestValue = 1 << 20
    var stopsBeforeBatch = false
    var capacity = 64
    var delimiter: UInt8 = 10
  }

  /// Encodes `input` with `appendLines` (the calls cut at `cuts`, each call from where the one
  /// before stopped; with `stopsBeforeBatch`, the line it stops at sealing a batch and added by
  /// `append`, as `kq pipe` adds a marked record) and line by line with `append`, at the
  /// timestamps given per call. Expects the same bytes, counts and reported sizes; returns
  /// where the last call stopped and the records it took.
  @discardableResult
  static func expectSameAsGeneral(
    _ input: [UInt8], _ setting: Setting = Setting(), cuts: [Int] = [], timestamps: [Int64] = [],
    sourceLocation: SourceLocation = #_sourceLocation
  ) -> (end: Int, records: Int) {
    let bulk = BatchEncoder(maxBatchBytes: setting.maxBatchBytes, capacity: setting.capacity)
    let general = BatchEncoder(maxBatchBytes: setting.maxBatchBytes, capacity: setting.capacity)
    var end = 0
    var records = 0
    var grew = 0
    setting.headers.withUnsafeBytes { headers in
      input.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        let limits = cuts + [raw.count]
        for (call, limit) in limits.enumerated() {
          let timestamp = call < timestamps.count ? timestamps[call] : time
          while true {
            let before = bulk.buffer.count
            let run = bulk.appendLines(
              base, from: end, count: limit, delimiter: Int32(setting.delimiter), headers: headers, timestamp: timestamp,
              largestValue: setting.largestValue, stopsBeforeBatch: setting.stopsBeforeBatch)
            #expect(run.bytes == bulk.buffer.count - before, "bytes reported", sourceLocation: sourceLocation)
            for line in lines(of: raw, from: end, to: run.end, delimiter: setting.delimiter) {
              general.append(key: nil, value: line, headers: headers, timestamp: timestamp)
            }
            end = run.end
            records += run.records
            grew += run.bytes
            // The caller's part with stopsBeforeBatch: the line it stopped at opens a batch.
            guard setting.stopsBeforeBatch, end < limit, let found = memchr(base + end, Int32(setting.delimiter), limit - end) else { break }
            let length = UnsafeRawPointer(found) - base - end
            guard length <= setting.largestValue else { break }
            #expect(bulk.opensBatch(keyCount: -1, valueCount: length, headersCount: headers.count), sourceLocation: sourceLocation)
            let line = UnsafeRawBufferPointer(start: base + end, count: length)
            for encoder in [bulk, general] {
              encoder.sealBatch()
              encoder.append(key: nil, value: line, headers: headers, timestamp: timestamp)
            }
            end += length + 1
            records += 1
          }
        }
      }
    }
    #expect(bulk.recordCount == general.recordCount, "records", sourceLocation: sourceLocation)
    #expect(records == general.recordCount, sourceLocation: sourceLocation)
    let expected = Array(general.finish())
    let got = Array(bulk.finish())
    // Where they first differ (nil when equal): the arrays themselves are too long to print.
    let difference = got.indices.first { $0 >= expected.count || got[$0] != expected[$0] } ?? (got.count == expected.count ? nil : got.count)
    #expect(difference == nil, "stored bytes of \(got.count) and \(expected.count)", sourceLocation: sourceLocation)
    #expect(bulk.batchCount == general.batchCount, "batches", sourceLocation: sourceLocation)
    if !setting.stopsBeforeBatch { #expect(grew == got.count, "bytes reported", sourceLocation: sourceLocation) }
    return (end, records)
  }

  /// The values of the terminated lines in `raw[start..<end]`.
  static func lines(of raw: UnsafeRawBufferPointer, from start: Int, to end: Int, delimiter: UInt8 = 10)
    -> [UnsafeRawBufferPointer]
  {
    var result: [UnsafeRawBufferPointer] = []
    var lineStart = start
    while lineStart < end, let newline = raw[lineStart..<end].firstIndex(of: delimiter) {
      result.append(UnsafeRawBufferPointer(rebasing: raw[lineStart..<newline]))
      lineStart = newline + 1
    }
    return result
  }

  static func text(_ lengths: [Int], seed: UInt64 = 1) -> [UInt8] {
    var random = SeededGenerator(seed: seed)
    var text: [UInt8] = []
    for length in lengths {
      text += (0..<length).map { _ in UInt8.random(in: 32...126, using: &random) }
      text.append(10)
    }
    return text
  }

  static let boundaries = Array(0...300) + [1000, 4095, 4096, 8170, 8180, 8181, 8182, 8183, 8190, 8191, 8192, 8193, 9000, 16383, 16384, 20000]

  @Test("values of every length 0 to 300 and around each varint boundary store the same bytes")
  func lengths() {
    let data = Self.text(Self.boundaries)
    let (end, records) = Self.expectSameAsGeneral(data)
    #expect(end == data.count && records == Self.boundaries.count)
    Self.expectSameAsGeneral(data, Setting(capacity: 1 << 20))
  }

  @Test("header sections of 0, 1, 5 and 200 bytes store the same bytes")
  func headers() {
    let data = Self.text(Self.boundaries)
    let long = [UInt8(2), 10] + Array(repeating: 97, count: 5) + [250, 1] + Array(repeating: 98, count: 125) + [0]
    for headers in [[], [0], [2, 2, 97, 2, 98], [2] + Array(long.dropFirst())] {
      Self.expectSameAsGeneral(data, Setting(headers: headers))
      Self.expectSameAsGeneral(data, Setting(headers: headers, maxBatchBytes: 500))
      Self.expectSameAsGeneral(data, Setting(headers: headers, maxBatchBytes: 500, stopsBeforeBatch: true))
    }
  }

  @Test("tiny batches and lines longer than a batch store the same bytes, sealed at the same records")
  func smallBatches() {
    var random = SeededGenerator(seed: 2)
    let lengths = (0..<3000).map { _ in Int.random(in: 0...260, using: &random) } + [700, 0, 0, 5]
    let data = Self.text(lengths, seed: 3)
    for maxBatchBytes in [1, 61, 62, 80, 100, 150, 256, 300, 1000, 4096] {
      Self.expectSameAsGeneral(data, Setting(maxBatchBytes: maxBatchBytes))
      Self.expectSameAsGeneral(data, Setting(maxBatchBytes: maxBatchBytes, stopsBeforeBatch: true))
    }
  }

  @Test("with stopsBeforeBatch, every record that opens a batch is left to the caller")
  func stopsBeforeBatch() {
    var random = SeededGenerator(seed: 4)
    let lengths = (0..<20_000).map { _ in Int.random(in: 90...110, using: &random) }
    let data = Self.text(lengths, seed: 5)
    let (end, records) = Self.expectSameAsGeneral(data, Setting(maxBatchBytes: 1 << 16, stopsBeforeBatch: true))
    #expect(end == data.count && records == lengths.count)
  }

  @Test("batches past 8192 and 2^20 records (offset deltas of 3 and 4 varint bytes) store the same bytes")
  func manyRecords() {
    let empty = [UInt8](repeating: 10, count: (1 << 20) + 300)
    Self.expectSameAsGeneral(empty, Setting(headers: [], maxBatchBytes: 16 << 20))
    Self.expectSameAsGeneral(empty, Setting(headers: [0], maxBatchBytes: 16 << 20))
    var random = SeededGenerator(seed: 6)
    let data = Self.text((0..<20_000).map { _ in Int.random(in: 0...20, using: &random) }, seed: 7)
    Self.expectSameAsGeneral(data, Setting(maxBatchBytes: 1 << 30))
  }

  @Test("calls cut anywhere, with timestamps before, equal to and far past the batch's first, store the same bytes")
  func calls() {
    var random = SeededGenerator(seed: 8)
    let data = Self.text((0..<4000).map { _ in Int.random(in: 0...150, using: &random) }, seed: 9)
    let cuts = (0..<40).map { _ in Int.random(in: 0...data.count, using: &random) }.sorted()
    let steps: [Int64] = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, -8192, -8193, 1 << 40, -(1 << 40)]
    let timestamps = (0...cuts.count).map { Self.time + steps[$0 % steps.count] }
    for stopsBeforeBatch in [false, true] {
      for maxBatchBytes in [2000, 1 << 20] {
        let setting = Setting(maxBatchBytes: maxBatchBytes, stopsBeforeBatch: stopsBeforeBatch)
        let (end, _) = Self.expectSameAsGeneral(data, setting, cuts: cuts, timestamps: timestamps)
        #expect(end == data.count)
      }
    }
  }

  @Test("it stops at an unterminated line and before a line longer than largestValue; CR stays in the value")
  func stops() {
    let crlf = Array("a\r\nb\r\n\r\n".utf8)
    #expect(Self.expectSameAsGeneral(crlf) == (crlf.count, 3))
    let unterminated = Array("one\ntwo".utf8)
    #expect(Self.expectSameAsGeneral(unterminated) == (4, 1))
    let long = Array(("x\n" + String(repeating: "y", count: 51) + "\nz\n").utf8)
    #expect(Self.expectSameAsGeneral(long, Setting(largestValue: 50)) == (2, 1))
    #expect(Self.expectSameAsGeneral(long, Setting(largestValue: 51)) == (long.count, 3))
    #expect(Self.expectSameAsGeneral([]) == (0, 0))
  }

  @Test("lines of 0 to 70,000 bytes, found many per scan or past a long quiet run, store the same bytes")
  func longAndShortLines() {
    var random = SeededGenerator(seed: 10)
    let lengths =
      (0..<2000).map { _ in Int.random(in: 0...3, using: &random) } + [255, 256, 257, 383, 384, 385, 70_000, 0, 1, 1000]
      + (0..<2000).map { _ in Int.random(in: 0...600, using: &random) }
    let data = Self.text(lengths, seed: 11)
    let (end, records) = Self.expectSameAsGeneral(data)
    #expect(end == data.count && records == lengths.count)
    let cuts = (0..<60).map { _ in Int.random(in: 0...data.count, using: &random) }.sorted()
    #expect(Self.expectSameAsGeneral(data, cuts: cuts).end == data.count)
  }

  @Test("NUL-terminated records (-0) store the same bytes, a newline inside a value kept")
  func nulTerminated() {
    var random = SeededGenerator(seed: 12)
    let lengths = (0..<3000).map { _ in Int.random(in: 0...300, using: &random) }
    // The text's newlines become the terminators, and every 7th byte a newline in the value.
    let data = Self.text(lengths, seed: 13).enumerated().map { $1 == 10 ? 0 : $0 % 7 == 0 ? 10 : $1 }
    let (end, records) = Self.expectSameAsGeneral(data, Setting(delimiter: 0))
    #expect(end == data.count && records == lengths.count)
  }
}
