import KQLog
import KQTestSupport
import Testing

@testable import KQKafka

/// Appends through `KafkaLogService` carry an idempotent producer id and per-partition
/// sequences, where the broker gives producer ids.
@Suite("idempotent appends through the service", .enabled(if: TestPeer.tansu.shouldRun))
struct IdempotentAppendTests {
  @Test("the service's batches carry one producer id, and each partition's base sequences count its records from 0")
  func sequencesPerPartition() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("orders", partitions: 2)
    let service = try KafkaLogService(brokers: tansu.broker.address, timeoutMillis: 15_000)
    let topic = try TopicName("orders")
    let config = try service.config(of: topic)
    let writers = try (0..<2).map { try service.openWriter(topic, partition: $0, config: config) }
    for (partition, count) in [(0, 3), (1, 2), (0, 4), (0, 1), (1, 5)] {
      var batch = TestBatch.encode((0..<count).map { TestRecord(key: nil, value: "v\($0)", timestamp: 1) })
      _ = try batch.withUnsafeMutableBytes { try writers[partition].append($0) }
    }
    var producers: Set<Int64> = []
    var sequences: [[Int32]] = [[], []]
    for partition in 0..<2 {
      let records = try tansu.cluster.fetch("orders", partition: Int32(partition), from: 0, maxBytes: 1 << 20).records
      try records.withUnsafeBytes { bytes in
        var position = 0
        while position < bytes.count, let base = bytes.baseAddress {
          let batch = try RecordBatchView(at: base + position, available: bytes.count - position)
          try batch.validateCRC()
          producers.insert(batch.producerId)
          sequences[partition].append(
            Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: position + BatchLayout.baseSequence, as: Int32.self)))
          position += batch.size
        }
      }
    }
    #expect(producers.count == 1 && (producers.first ?? -1) >= 0)
    #expect(sequences == [[0, 3, 7], [0, 2]])
  }
}
