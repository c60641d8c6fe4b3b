/// Kafka's default partitioner for keyed records: the Java client's murmur2 of the key bytes,
/// made positive with `& 0x7fffffff`, modulo the partition count (FORMAT.md, "Partitioning").
package enum Partitioner {
  /// murmur2 as Kafka's Java client computes it (seed 0x9747b28c), as a signed 32-bit value.
  package static func murmur2(_ key: UnsafeRawBufferPointer) -> Int32 {
    let m: UInt32 = 0x5bd1_e995
    let length = key.count
    var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
    var i = 0
    if let base = key.baseAddress {
      while i + 4 <= length {
        var k = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
        k = k &* m
        k ^= k >> 24
        k = k &* m
        h = h &* m
        h ^= k
        i += 4
      }
      let rest = length - i
      if rest == 3 { h ^= UInt32(key[i + 2]) << 16 }
      if rest >= 2 { h ^= UInt32(key[i + 1]) << 8 }
      if rest >= 1 {
        h ^= UInt32(key[i])
        h = h &* m
      }
    }
    h ^= h >> 13
    h = h &* m
    h ^= h >> 15
    return Int32(bitPattern: h)
  }

  package static func murmur2(_ key: [UInt8]) -> Int32 {
    key.withUnsafeBytes { murmur2($0) }
  }

  /// The partition Kafka's Java producer picks for this key.
  @inline(__always)
  package static func partition(forKey key: UnsafeRawBufferPointer, partitions: Int) -> Int {
    Int(UInt32(bitPattern: murmur2(key)) & 0x7fff_ffff) % partitions
  }
}
