/// Kafka's default partitioner for keyed records: the Java client's murmur2 of the key bytes,
/// made positive with `& 0x7fffffff`, modulo the partition count (FORMAT.md, "Partitioning").
package enum Partitioner {
  /// murmur2 as Kafka's Java client computes it (seed 0x9747b28c), as a signed 32-bit value.
  /// Wrapping arithmetic and unchecked loads throughout (every index stays below the count):
  /// an 8-byte key costs about 25 instructions, not 58.
  @inline(__always)
  package static func murmur2(_ key: UnsafeRawBufferPointer) -> Int32 {
    let m: UInt32 = 0x5bd1_e995
    let length = key.count
    var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
    if let base = key.baseAddress {
      var i = 0
      while length &- i >= 4 {
        var k = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
        k = k &* m
        k ^= k &>> 24
        k = k &* m
        h = h &* m
        h ^= k
        i &+= 4
      }
      let rest = length &- i
      if rest == 3 { h ^= UInt32(base.load(fromByteOffset: i &+ 2, as: UInt8.self)) &<< 16 }
      if rest >= 2 { h ^= UInt32(base.load(fromByteOffset: i &+ 1, as: UInt8.self)) &<< 8 }
      if rest >= 1 {
        h ^= UInt32(base.load(fromByteOffset: i, as: UInt8.self))
        h = h &* m
      }
    }
    h ^= h &>> 13
    h = h &* m
    h ^= h &>> 15
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

/// `Partitioner.partition(forKey:partitions:)` for one partition count, its modulo done as two
/// multiplications (Lemire, Kaser, Kurz: "Faster remainder by direct computation", exact for
/// every 32-bit dividend and divisor) instead of a division, which takes 20 to 40 cycles.
package struct KeyPartitioner: Sendable {
  package let partitions: Int
  private let divisor: UInt64
  /// ⌊(2⁶⁴ − 1) / partitions⌋ + 1, which wraps to 0 for one partition (every key then lands
  /// in partition 0).
  private let multiplier: UInt64

  /// `partitions` is a topic's count, 1 to `TopicConfig.maxPartitions`; anything below 1 is
  /// taken as 1.
  package init(partitions: Int) {
    self.partitions = max(partitions, 1)
    divisor = UInt64(self.partitions)
    multiplier = (UInt64.max / divisor) &+ 1
  }

  /// `hash` modulo the partition count.
  @inline(__always)
  package func partition(forHash hash: UInt32) -> Int {
    let low = multiplier &* UInt64(hash)
    return Int(truncatingIfNeeded: low.multipliedFullWidth(by: divisor).high)
  }

  @inline(__always)
  package func partition(forKey key: UnsafeRawBufferPointer) -> Int {
    partition(forHash: UInt32(bitPattern: Partitioner.murmur2(key)) & 0x7fff_ffff)
  }
}
