import KQCompression
import KQLog
import KQTestSupport
import Testing

@testable import KQStorage

/// Encoders that hand full batches to a shared `BatchCompressor` (a produce into many
/// partitions) write the same bytes as an encoder that compresses each batch itself, however
/// the appends, batch sizes, buffer growth and finishes fall.
@Suite("batch compressor")
struct BatchCompressorTests {
  /// Appends a seeded mix of log lines, noise and empty values to `partitions` pairs of
  /// encoders (one with the shared compressor, one without), finishing every partition now and
  /// then as a produce's flush does; every finish of the pair must give the same bytes.
  static func compare(codec: CompressionCodec, maxBatchBytes: Int, partitions: Int, records: Int, seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let compressor = BatchCompressor()
    let shared = (0..<partitions).map { _ in BatchEncoder(maxBatchBytes: maxBatchBytes, capacity: 1024) }
    let alone = (0..<partitions).map { _ in BatchEncoder(maxBatchBytes: maxBatchBytes, capacity: 1024) }
    for encoder in shared {
      encoder.codec = codec
      encoder.compressor = compressor
    }
    for encoder in alone { encoder.codec = codec }
    var finishes = 0
    for index in 0..<records {
      let partition = Int(random.next() % UInt64(partitions))
      let kind = random.next() % 10
      let value: [UInt8]? =
        kind == 0
        ? random.bytes(count: Int(random.next() % 600))
        : kind == 1 ? nil : Array("2026-12-04T09:00:\(index % 60)Z INFO [w\(index % 7)] GET /api/v1/users/\(index) 200".utf8)
      let record = Record(key: kind == 2 ? Array("k\(index % 13)".utf8) : nil, value: value, headers: [], timestamp: 1_700_000_000_000 + Int64(index))
      shared[partition].append(record)
      alone[partition].append(record)
      if random.next() % 2000 == 0 || index == records - 1 {
        for (partition, (encoderWithCompressor, encoderAlone)) in zip(shared, alone).enumerated() {
          let written = Array(encoderWithCompressor.finish())
          let expected = Array(encoderAlone.finish())
          let isSame = written == expected
          #expect(isSame, "partition \(partition) at record \(index): \(written.count) bytes, alone \(expected.count)")
          encoderWithCompressor.reset()
          encoderAlone.reset()
        }
        finishes += 1
      }
    }
    #expect(finishes > 1)
  }

  @Test(
    "many partitions sharing one compressor write what each encoder writes alone",
    arguments: [CompressionCodec.lz4, .zstd, .snappy, .gzip], [1, 7, 64])
  func manyPartitions(codec: CompressionCodec, partitions: Int) throws {
    try Self.compare(codec: codec, maxBatchBytes: 16 << 10, partitions: partitions, records: 12_000, seed: UInt64(partitions))
  }

  @Test("tiny batches, each of a record or a few, and batches of 128 KiB", arguments: [200, 1024, 128 << 10])
  func batchSizes(maxBatchBytes: Int) throws {
    try Self.compare(codec: .lz4, maxBatchBytes: maxBatchBytes, partitions: 3, records: 8_000, seed: UInt64(maxBatchBytes))
  }

  /// A produce that defers each bulk flush's writes: two encoders take turns, each sealed and
  /// left queued while the other takes records, and finished (settled through its own tickets
  /// only) one turn later. Hundreds of tickets: the queue sheds the taken ones as it goes.
  @Test("encoders finished a turn after they were sealed write what each encoder writes alone", arguments: [UInt64(1), 2])
  func deferredFinishes(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let compressor = BatchCompressor()
    let turns = (0..<2).map { _ in BatchEncoder(maxBatchBytes: 1024, capacity: 1024) }
    for encoder in turns {
      encoder.codec = .lz4
      encoder.compressor = compressor
    }
    var sealed: (encoder: BatchEncoder, expected: [UInt8])?
    var batchesCompared = 0
    for turn in 0..<40 {
      let encoder = turns[turn % 2]
      let alone = BatchEncoder(maxBatchBytes: 1024, capacity: 1024)
      alone.codec = .lz4
      for index in 0..<Int(random.next() % 400) {
        let noise = random.next() % 5 == 0
        let record = BatchEncoderCompressionTests.record(turn * 1000 + index, noise: noise, using: &random)
        encoder.append(record)
        alone.append(record)
      }
      encoder.sealBatch()
      let expected = Array(alone.finish())
      if let (previous, previousExpected) = sealed {
        batchesCompared += previous.batchCount
        let written = Array(previous.finish())
        #expect(written == previousExpected, "turn \(turn): \(written.count) bytes, alone \(previousExpected.count)")
        previous.reset()
      }
      sealed = (encoder, expected)
    }
    if let (last, expected) = sealed { #expect(Array(last.finish()) == expected) }
    #expect(batchesCompared > 200)
  }

  @Test("the stored batches check out and hold the records, in order, with the codec bit where they shrank")
  func storedBatchesRead() throws {
    let compressor = BatchCompressor()
    let encoder = BatchEncoder(maxBatchBytes: 4096, capacity: 1024)
    encoder.codec = .lz4
    encoder.compressor = compressor
    var random = SeededGenerator(seed: 3)
    var expected: [Record] = []
    var noisy: [Bool] = []
    for index in 0..<2_000 {
      let noise = (index / 100) % 3 == 1
      let record = BatchEncoderCompressionTests.record(index, noise: noise, using: &random)
      encoder.append(record)
      expected.append(record)
      noisy.append(noise)
    }
    let stored = try BatchEncoderCompressionTests.batches(Array(encoder.finish()))
    #expect(stored.flatMap(\.records) == expected)
    #expect(Set(stored.map(\.codec)) == [0, CompressionCodec.lz4.rawValue])
  }
}
