import KQTestSupport
import Testing

import KQLog

/// `KeyedLineEncoder` (produce's keyed fast path) must store exactly what the general path
/// stores: the same partitions and, in each, the same bytes `BatchEncoder.append` makes.
@Suite("keyed line encoder and key partitioner")
struct KeyedLineEncoderTests {
  static let time: Int64 = 1_700_000_000_000

  /// Kafka's partitions for these keys of an 8- and a 12-partition topic (kafka-format.md §5).
  static let vectors: [(key: String, p8: Int, p12: Int)] = [
    ("k0", 1, 5), ("k1", 1, 5), ("k2", 1, 9), ("k3", 0, 4), ("k4", 0, 4), ("k5", 4, 0), ("k6", 1, 1),
    ("k7", 0, 4), ("k8", 6, 2), ("k9", 4, 8), ("hello", 5, 9), ("user-42", 4, 4), ("a", 4, 4), ("", 1, 9),
    ("ключ", 0, 8), (String(repeating: "x", count: 300), 4, 4),
  ]

  @Test("the key partitioner puts Kafka's test vectors in Kafka's partitions")
  func vectors() {
    let eight = KeyPartitioner(partitions: 8)
    let twelve = KeyPartitioner(partitions: 12)
    for vector in Self.vectors {
      let key = Array(vector.key.utf8)
      key.withUnsafeBytes { bytes in
        #expect(eight.partition(forKey: bytes) == vector.p8, "\(vector.key)")
        #expect(twelve.partition(forKey: bytes) == vector.p12, "\(vector.key)")
        #expect(Partitioner.partition(forKey: bytes, partitions: 12) == vector.p12, "\(vector.key)")
      }
    }
  }

  @Test("the key partitioner's multiply is the remainder for every hash it meets, any partition count")
  func remainder() {
    var random = SeededGenerator(seed: 1)
    var counts = [1, 2, 3, 5, 7, 8, 12, 100, 1000, 4097, 9999, TopicConfig.maxPartitions]
    for _ in 0..<40 { counts.append(Int.random(in: 1...TopicConfig.maxPartitions, using: &random)) }
    let edges: [UInt32] = [0, 1, 2, 7, 8, 0x7fff_fffe, 0x7fff_ffff, 0x4000_0000, 0x3fff_ffff]
    for count in counts {
      let partitioner = KeyPartitioner(partitions: count)
      var hashes = edges
      for _ in 0..<2000 { hashes.append(UInt32.random(in: 0...0x7fff_ffff, using: &random)) }
      for multiple in 1...5 {
        let product = UInt32(count * multiple)
        hashes += [product - 1, product]
      }
      for hash in hashes where hash <= 0x7fff_ffff {
        #expect(partitioner.partition(forHash: hash) == Int(hash) % count, "\(hash) % \(count)")
      }
    }
  }

  @Test("murmur2 of every key length 0 to 40 through the unchecked loads matches a plain byte loop")
  func murmurLengths() {
    var random = SeededGenerator(seed: 2)
    for length in 0...40 {
      let key = random.bytes(count: length)
      #expect(key.withUnsafeBytes { Partitioner.murmur2($0) } == Self.referenceMurmur2(key), "length \(length)")
    }
  }

  /// Kafka's Java murmur2, byte by byte.
  static func referenceMurmur2(_ data: [UInt8]) -> Int32 {
    let m: UInt32 = 0x5bd1_e995
    var h: UInt32 = 0x9747_b28c ^ UInt32(data.count)
    let whole = data.count / 4
    for i in 0..<whole {
      var k = UInt32(data[4 * i]) | UInt32(data[4 * i + 1]) << 8 | UInt32(data[4 * i + 2]) << 16 | UInt32(data[4 * i + 3]) << 24
      k = k &* m
      k ^= k >> 24
      k = k &* m
      h = h &* m
      h ^= k
    }
    let rest = data.count % 4
    let tail = whole * 4
    if rest == 3 { h ^= UInt32(data[tail + 2]) << 16 }
    if rest >= 2 { h ^= UInt32(data[tail + 1]) << 8 }
    if rest >= 1 {
      h ^= UInt32(data[tail])
      h = h &* m
    }
    h ^= h >> 13
    h = h &* m
    h ^= h >> 15
    return Int32(bitPattern: h)
  }

  /// Encodes `input` with the fast path (making encoders as it asks) and, line by line, with
  /// the general one; expects the same bytes in every partition, and returns where the fast
  /// path stopped and how many records it took.
  @discardableResult
  static func expectSameAsGeneral(
    _ input: [UInt8], partitions: Int, headers: [UInt8] = [0], maxBatchBytes: Int = 1 << 17, largestLine: Int = 1 << 20,
    sourceLocation: SourceLocation = #_sourceLocation
  ) -> (end: Int, records: Int) {
    let partitioner = KeyPartitioner(partitions: partitions)
    var fast: [BatchEncoder?] = Array(repeating: nil, count: partitions)
    let general = (0..<partitions).map { _ in BatchEncoder(maxBatchBytes: maxBatchBytes, capacity: 64) }
    var end = 0
    var records = 0
    var grew = 0
    headers.withUnsafeBytes { headerBytes in
      input.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        let encoder = KeyedLineEncoder(
          lineDelimiter: 10, keyDelimiter: 58, partitioner: partitioner, headers: headerBytes, largestLine: largestLine)
        while true {
          let slots = fast.map { $0.map(Unmanaged.passUnretained) }
          let progress = slots.withUnsafeBufferPointer {
            encoder.encode(base, from: end, count: raw.count, into: $0, timestamp: time)
          }
          end = progress.end
          records += progress.records
          grew += progress.bytes
          guard let missing = progress.partitionWithoutEncoder else { break }
          fast[missing] = BatchEncoder(maxBatchBytes: maxBatchBytes, capacity: 64)
        }
        // The general path: split at the first ':' and hash with Partitioner, as `store` does.
        var start = 0
        for _ in 0..<records {
          let line = raw[start...].firstIndex(of: 10)!
          let colon = raw[start..<line].firstIndex(of: 58)!
          let key = UnsafeRawBufferPointer(rebasing: raw[start..<colon])
          let partition = partitions == 1 ? 0 : Partitioner.partition(forKey: key, partitions: partitions)
          general[partition].append(
            key: key, value: UnsafeRawBufferPointer(rebasing: raw[(colon + 1)..<line]), headers: headerBytes, timestamp: time)
          start = line + 1
        }
        #expect(start == end, sourceLocation: sourceLocation)
      }
    }
    var total = 0
    for partition in 0..<partitions {
      let expected = Array(general[partition].finish())
      let got = fast[partition].map { Array($0.finish()) } ?? []
      total += got.count
      #expect(got == expected, "partition \(partition)", sourceLocation: sourceLocation)
    }
    #expect(grew == total, "bytes reported", sourceLocation: sourceLocation)
    return (end, records)
  }

  static func lines(_ lines: [[UInt8]]) -> [UInt8] { lines.flatMap { $0 + [10] } }

  @Test("keys of every length 0 to 70 and values around each varint and copy boundary store the same bytes")
  func edges() {
    var random = SeededGenerator(seed: 3)
    let valueSizes = [0, 1, 7, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 8191, 8192, 9000]
    var input: [[UInt8]] = []
    for keyLength in 0...70 {
      for size in valueSizes {
        input.append(random.letters(count: keyLength) + [58] + random.bytes(count: size).map { $0 == 10 ? 11 : $0 })
      }
    }
    input.append(Array("k:\r".utf8))  // a CR stays part of the value, as in the general path
    input.append(Array("k:a:b".utf8))  // only the first ':' splits
    let data = Self.lines(input)
    for partitions in [1, 3, 8] {
      let (end, records) = Self.expectSameAsGeneral(data, partitions: partitions)
      #expect(end == data.count)
      #expect(records == input.count)
      Self.expectSameAsGeneral(data, partitions: partitions, headers: [2, 2, 97, 2, 98])
      Self.expectSameAsGeneral(data, partitions: partitions, maxBatchBytes: 300)
    }
  }

  @Test("many records fill and seal batches at the same records as the general path")
  func manyBatches() {
    var random = SeededGenerator(seed: 4)
    let input = (0..<20_000).map { i in Array("user\(i % 1000)".utf8) + [58] + random.letters(count: Int.random(in: 0...150, using: &random)) }
    let data = Self.lines(input)
    let (end, records) = Self.expectSameAsGeneral(data, partitions: 8)
    #expect(end == data.count && records == input.count)
  }

  @Test("it stops before a line without the delimiter, one too large, and an unterminated last line")
  func stops() {
    let noDelimiter = Array("a:1\nb:2\nnone here\nc:3\n".utf8)
    #expect(Self.expectSameAsGeneral(noDelimiter, partitions: 4) == (8, 2))
    let large = Array("a:1\nb:\(String(repeating: "x", count: 100))\nc:3\n".utf8)
    #expect(Self.expectSameAsGeneral(large, partitions: 4, largestLine: 50) == (4, 1))
    let unterminated = Array("a:1\nb:2".utf8)
    #expect(Self.expectSameAsGeneral(unterminated, partitions: 4) == (4, 1))
    let lateColon = Array((String(repeating: "k", count: 45) + ":v\n" + String(repeating: "q", count: 80) + "\n").utf8)
    #expect(Self.expectSameAsGeneral(lateColon, partitions: 4) == (48, 1))
  }
}

extension SeededGenerator {
  fileprivate mutating func letters(count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 97...122, using: &self) }
  }
}
