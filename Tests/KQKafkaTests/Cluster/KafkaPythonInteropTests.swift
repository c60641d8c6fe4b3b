import Foundation
import KQTestSupport
import Testing

@testable import KQKafka

/// kafka-python, an independent client, reads what kq's client produced and produces what it
/// fetches, through the same Tansu broker.
@Suite(
  "kafka-python interop through Tansu", .enabled(if: TestPeer.tansu.shouldRun && TestPeer.kafkaPython.shouldRun))
struct KafkaPythonInteropTests {
  private func python(_ script: String, _ arguments: [String]) throws -> String { try PythonScript.run(script, arguments) }

  private let records = [
    TestRecord(key: "k1", value: "first", timestamp: 1_700_000_000_000, headers: [("h", Array("x".utf8))]),
    TestRecord(key: nil, value: "no key", timestamp: 1_700_000_000_001),
    TestRecord(key: "", value: nil, timestamp: 1_700_000_000_002),
    TestRecord(key: "ключ", value: "значение", timestamp: 1_700_000_000_003, headers: [("a", nil), ("b", [0, 255])]),
  ]

  /// One line per record: offset, timestamp, key, value, headers, in hex ('-' for null).
  private static func line(_ offset: Int64, _ record: TestRecord) -> String {
    let headers = record.headers.map { "\(hexString(Array($0.0.utf8))):\($0.1.map(hexString) ?? "-")" }.joined(separator: ",")
    return "\(offset) \(record.timestamp) \(record.key.map(hexString) ?? "-") \(record.value.map(hexString) ?? "-") [\(headers)]"
  }

  private static let hexLine = """
    def h(b): return '-' if b is None else b.hex()
    def line(m): return '%d %d %s %s [%s]' % (m.offset, m.timestamp, h(m.key), h(m.value), ','.join('%s:%s' % (k.encode().hex(), h(v)) for k, v in m.headers))
    """

  @Test("kafka-python reads the batches kq's client produced, with identical keys, values and headers")
  func kafkaPythonReads() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("interop", partitions: 1)
    let bytes = TestBatch.encode(Array(records[0..<2])) + TestBatch.encode(Array(records[2...]))
    _ = try bytes.withUnsafeBytes { try tansu.cluster.produce($0, to: "interop", partition: 0) }
    let script = Self.hexLine + "\n" + """
      import sys
      from kafka import KafkaConsumer, TopicPartition
      c = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False, consumer_timeout_ms=10000)
      tp = TopicPartition('interop', 0)
      c.assign([tp]); c.seek(tp, 0)
      n = 0
      for m in c:
          print(line(m)); n += 1
          if n == 4: break
      """
    let read = try python(script, [tansu.broker.address]).split(separator: "\n").map(String.init)
    #expect(read == records.enumerated().map { Self.line(Int64($0.offset), $0.element) })
  }

  @Test("kq's client fetches what kafka-python produced, with identical keys, values and headers")
  func kafkaPythonWrites() throws {
    let tansu = try TansuCluster()
    try tansu.cluster.createTopic("interop", partitions: 1)
    let script = """
      import sys
      from kafka import KafkaProducer
      p = KafkaProducer(bootstrap_servers=sys.argv[1], linger_ms=50)
      p.send('interop', partition=0, key=b'k1', value=b'first', timestamp_ms=1700000000000, headers=[('h', b'x')])
      p.send('interop', partition=0, key=None, value=b'no key', timestamp_ms=1700000000001)
      p.send('interop', partition=0, key=b'', value=None, timestamp_ms=1700000000002)
      p.send('interop', partition=0, key='ключ'.encode(), value='значение'.encode(), timestamp_ms=1700000000003, headers=[('a', b''), ('b', bytes([0, 255]))])
      p.flush()
      """
    _ = try python(script, [tansu.broker.address])
    let fetched = try tansu.cluster.fetch("interop", partition: 0, from: 0)
    let decoded = try TestBatch.decode(fetched.records)
    #expect(decoded.map(\.offset) == [0, 1, 2, 3])
    var expected = records
    expected[3].headers[0].1 = []  // kafka-python cannot send a null header value
    #expect(decoded.map(\.record) == expected)
  }
}
