import KQLog
import KQCompression
import KQTestSupport
import Testing

@testable import KQStorage

/// A run of batches of one encoder with a codec: every batch keeps its records, its CRC covers
/// what is stored, batches that do not shrink stay plain, and the batches lie back to back,
/// whatever mix of compressed and plain batches the run holds.
@Suite("batch encoder: compressed runs")
struct BatchEncoderCompressionTests {
  /// A log line (which shrinks) or, with `noise`, 300 random bytes (which do not).
  static func record(_ index: Int, noise: Bool, using random: inout SeededGenerator) -> Record {
    let value = noise
      ? random.bytes(count: 300)
      : Array("2026-12-04T09:00:00Z INFO worker-\(index % 8) request \(index) served in \(index % 97) ms".utf8)
    return Record(key: index % 5 == 0 ? nil : Array("k\(index % 3)".utf8), value: value, headers: [], timestamp: 1_700_000_000_000 + Int64(index))
  }

  /// The batches in `bytes`, each checked (length, magic, CRC), with their records.
  static func batches(_ bytes: [UInt8]) throws -> [(codec: Int, records: [Record])] {
    var result: [(Int, [Record])] = []
    try bytes.withUnsafeBytes { raw in
      var position = 0
      while position < raw.count {
        let base = try #require(raw.baseAddress)
        let view = try RecordBatchView(at: base + position, available: raw.count - position)
        try view.validateCRC()
        result.append((Int(view.compressionCodec), try view.records().map(\.record)))
        position += view.size
      }
    }
    return result
  }

  @Test("runs of compressed and plain batches, in every order, read back as written", arguments: [CompressionCodec.lz4, .zstd])
  func mixedRuns(codec: CompressionCodec) throws {
    var random = SeededGenerator(seed: 7)
    let encoder = BatchEncoder(maxBatchBytes: 4096, capacity: 1024)
    encoder.codec = codec
    // Patterns of shrinking (false) and noise (true) batches, the same encoder reused.
    let patterns: [[Bool]] = [[false], [true], [false, false, false], [true, false, true, false], [false, true, true, false, false], [true, true]]
    var index = 0
    for pattern in patterns {
      var expected: [[Record]] = []
      for noise in pattern {
        var records: [Record] = []
        while true {
          let record = Self.record(index, noise: noise, using: &random)
          let bytes = BatchEncoder.recordBytesBound(keyCount: record.key?.count ?? -1, valueCount: record.value?.count ?? -1, headersCount: 1)
          if !records.isEmpty && encoder.openBatchBytes + bytes > 4096 { break }
          encoder.append(record)
          records.append(record)
          index += 1
        }
        encoder.sealBatch()
        expected.append(records)
      }
      let stored = try Self.batches(Array(encoder.finish()))
      #expect(stored.map(\.records) == expected, "\(pattern)")
      #expect(stored.map(\.codec) == pattern.map { $0 ? 0 : codec.rawValue }, "\(pattern)")
      encoder.reset()
    }
  }

  @Test("a run of many batches is the same bytes every time")
  func manyBatchesDeterministic() throws {
    func run() throws -> [UInt8] {
      var random = SeededGenerator(seed: 9)
      let encoder = BatchEncoder(maxBatchBytes: 2048, capacity: 1024)
      encoder.codec = .lz4
      for index in 0..<3000 { encoder.append(Self.record(index, noise: index % 400 < 40, using: &random)) }
      return Array(encoder.finish())
    }
    let first = try run()
    #expect(try Self.batches(first).flatMap(\.records).count == 3000)
    for _ in 0..<5 { #expect(try run() == first) }
  }
}
