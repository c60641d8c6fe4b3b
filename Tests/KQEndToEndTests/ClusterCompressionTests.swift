import Foundation
import KQTestSupport
import Testing

/// Compressed batches on a cluster: what `kq produce --compression` sends, and what other
/// clients compressed.
@Suite(
  "compression on a cluster",
  .enabled(
    if: TestPeer.tansu.shouldRun && TestPeer.kafkaPython.shouldRun && TestPeer.pythonLZ4.shouldRun
      && TestPeer.pythonZstandard.shouldRun && TestPeer.pythonSnappy.shouldRun))
struct ClusterCompressionTests {
  /// Fetches partition 0 of topic ARGV[2] from broker ARGV[1] with a raw Fetch v4 and decodes
  /// its batches with kafka-python (CRC checked): prints the codecs the batches carry
  /// (attributes bits 0-2), then every value.
  static let rawFetch = """
    import socket, struct, sys
    from kafka.record.default_records import DefaultRecordBatch
    broker, topic = sys.argv[1], sys.argv[2]
    host, port = broker.split(':')
    s = socket.create_connection((host, int(port)))
    def string(t): b = t.encode(); return struct.pack('>h', len(b)) + b
    body = struct.pack('>hhi', 1, 4, 1) + string('raw') + struct.pack('>iiiib', -1, 500, 1, 1 << 24, 0)
    body += struct.pack('>i', 1) + string(topic) + struct.pack('>i', 1) + struct.pack('>iqi', 0, 0, 1 << 24)
    s.sendall(struct.pack('>i', len(body)) + body)
    def exact(n):
        d = b''
        while len(d) < n:
            c = s.recv(n - len(d))
            if not c: raise SystemExit('closed')
            d += c
        return d
    data = exact(struct.unpack('>i', exact(4))[0])
    p = 4 + 4  # correlation, throttle
    p += 4; n = struct.unpack_from('>h', data, p)[0]; p += 2 + n  # topics count, name
    p += 4  # partitions count
    p += 4 + 2 + 8 + 8  # partition, error, hw, lso
    aborted = struct.unpack_from('>i', data, p)[0]; p += 4 + max(aborted, 0) * 16
    size = struct.unpack_from('>i', data, p)[0]; p += 4
    records = data[p:p + size]
    codecs, values = set(), []
    q = 0
    while q + 12 <= len(records):
        length = struct.unpack_from('>i', records, q + 8)[0]
        raw = records[q:q + 12 + length]
        if len(raw) < 12 + length: break
        batch = DefaultRecordBatch(raw)
        assert batch.validate_crc(), 'CRC'
        codecs.add(batch.compression_type)
        values += [r.value.decode() for r in batch]
        q += 12 + length
    print(' '.join(str(c) for c in sorted(codecs)))
    print('\\n'.join(values))
    """

  static let codecs = ["gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4]

  static let lines = (0..<3000).map { "\($0) GET /api/orders?id=\($0 % 97) 200 \($0 % 13) ms" }

  @Test("produce --compression sends batches of that codec, which kafka-python decodes from the cluster", arguments: ["gzip", "snappy", "lz4", "zstd"])
  func kqCompresses(codec: String) throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    try cluster.ok("produce", "t", "--compression", codec, stdin: Self.lines.joined(separator: "\n") + "\n")
    let read = try PythonScript.run(Self.rawFetch, [cluster.broker.address, "t"]).split(separator: "\n").map(String.init)
    #expect(read.first == String(Self.codecs[codec] ?? -1))
    #expect(Array(read.dropFirst()) == Self.lines)
  }

  @Test("consume reads the batches kafka-python compressed on the cluster with each codec", arguments: ["gzip", "snappy", "lz4", "zstd"])
  func kqReadsCompressed(codec: String) throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    _ = try PythonScript.run(
      """
      import sys
      from kafka import KafkaProducer
      p = KafkaProducer(bootstrap_servers=sys.argv[1], compression_type=sys.argv[2], linger_ms=50)
      for line in sys.argv[3].split(','):
          p.send('t', value=line.encode())
      p.flush()
      """, [cluster.broker.address, codec, Self.lines.joined(separator: ",")])
    let stored = try PythonScript.run(Self.rawFetch, [cluster.broker.address, "t"]).split(separator: "\n").first
    #expect(stored == String(Self.codecs[codec] ?? -1)[...])
    #expect(try cluster.ok("consume", "t").lines == Self.lines)
  }
}
