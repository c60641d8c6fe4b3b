import Testing

@testable import KQKafka

@Suite("Idempotent producer stamping")
struct IdempotentProducerTests {
  private func batch(_ count: Int) -> [UInt8] {
    TestBatch.encode((0..<count).map { TestRecord(key: "k\($0)", value: "v", timestamp: 1000 + Int64($0)) })
  }

  private func field(_ bytes: [UInt8], _ position: Int, _ size: Int) -> Int64 {
    var value: Int64 = 0
    for i in 0..<size { value = value << 8 | Int64(bytes[position + i]) }
    return value
  }

  @Test("each batch gets the producer id, epoch and the next base sequence, with a CRC that still checks")
  func stampsBatches() throws {
    var producer = IdempotentProducer(identity: ProducerIdentity(id: 0x0102_0304, epoch: 7))
    var bytes = batch(3) + batch(2)
    try bytes.withUnsafeMutableBytes { try producer.stamp($0, topic: "t", partition: 1) }
    let second = batch(3).count
    #expect(field(bytes, 43, 8) == 0x0102_0304 && field(bytes, 51, 2) == 7)
    #expect(field(bytes, 53, 4) == 0 && field(bytes, second + 53, 4) == 3)
    #expect(producer.nextSequence(topic: "t", partition: 1) == 5)
    #expect(producer.nextSequence(topic: "t", partition: 0) == 0)
    #expect(try TestBatch.decode(bytes).count == 5)  // decode checks every CRC
  }

  @Test("sequences wrap from Int32.max to 0 as Kafka's do")
  func wraps() throws {
    var producer = IdempotentProducer(identity: ProducerIdentity(id: 1, epoch: 0))
    var big = batch(1)
    for _ in 0..<2 { try big.withUnsafeMutableBytes { try producer.stamp($0, topic: "t", partition: 0) } }
    // Jump near the end by stamping a batch that claims Int32.max - 2 records (its count only).
    var claim = batch(1)
    claim[57] = 0x7f
    claim[58] = 0xff
    claim[59] = 0xff
    claim[60] = 0xfd
    try claim.withUnsafeMutableBytes { try producer.stamp($0, topic: "t", partition: 0) }
    #expect(producer.nextSequence(topic: "t", partition: 0) == Int32.max)
    try big.withUnsafeMutableBytes { try producer.stamp($0, topic: "t", partition: 0) }
    #expect(field(big, 53, 4) == Int64(Int32.max))
    #expect(producer.nextSequence(topic: "t", partition: 0) == 0)
  }

  @Test("bytes that are not whole batches are refused, and nothing is stamped")
  func refusesPartialBatches() {
    var producer = IdempotentProducer(identity: ProducerIdentity(id: 1, epoch: 0))
    var bytes = Array(batch(1).dropLast())
    #expect(throws: KafkaError.self) { try bytes.withUnsafeMutableBytes { try producer.stamp($0, topic: "t", partition: 0) } }
    #expect(producer.nextSequence(topic: "t", partition: 0) == 0)
  }
}
