import Glibc

/// The produce loop for its common keyed input: `KEY:VALUE` lines (`-K` with a one-byte
/// delimiter) into a topic's partitions by Kafka's murmur2, each record encoded into its
/// partition's `BatchEncoder`. In the codec's module so that the search for the key, the hash,
/// the partition and the encoding all inline into one loop (1c profile: 587 instructions a
/// record through the general path). Stores exactly what the general path stores; lines it
/// does not take (no delimiter, too large, a partition without an encoder yet) it leaves to
/// its caller.
package struct KeyedLineEncoder {
  package let lineDelimiter: UInt8
  package let keyDelimiter: UInt8
  package let partitioner: KeyPartitioner
  /// The encoded header section every record gets (`-H`), usually the one byte of a zero count.
  package let headers: UnsafeRawBufferPointer
  /// Lines longer than this may be too large for a batch: the caller checks them.
  package let largestLine: Int

  package init(
    lineDelimiter: UInt8, keyDelimiter: UInt8, partitioner: KeyPartitioner, headers: UnsafeRawBufferPointer,
    largestLine: Int
  ) {
    self.lineDelimiter = lineDelimiter
    self.keyDelimiter = keyDelimiter
    self.partitioner = partitioner
    self.headers = headers
    self.largestLine = largestLine
  }

  /// What one call encoded, and why it stopped.
  package struct Progress {
    /// Where the first line not encoded starts.
    package var end: Int
    package var records = 0
    /// Bytes the encoders' buffers grew by.
    package var bytes = 0
    /// The partition of the line at `end` when it stopped there because that partition has no
    /// encoder yet.
    package var partitionWithoutEncoder: Int?
  }

  /// Encodes whole lines of `input` from `start` until the input ends or a line it does not
  /// take. `encoders` holds one slot per partition (`partitioner.partitions` of them).
  package func encode(
    _ input: UnsafeRawPointer, from start: Int, count: Int, into encoders: UnsafeBufferPointer<Unmanaged<BatchEncoder>?>,
    timestamp: Int64
  ) -> Progress {
    var progress = Progress(end: start)
    guard encoders.count >= partitioner.partitions, let slots = encoders.baseAddress else { return progress }
    var lineStart = start
    while lineStart < count, let found = memchr(input + lineStart, Int32(lineDelimiter), count &- lineStart) {
      let line = input + lineStart
      let length = UnsafeRawPointer(found) - line
      guard length <= largestLine, let split = Self.firstIndex(of: keyDelimiter, in: line, count: length) else { break }
      let key = UnsafeRawBufferPointer(start: line, count: split)
      let partition = partitioner.partition(forKey: key)
      guard let encoder = slots[partition] else {
        progress.partitionWithoutEncoder = partition
        break
      }
      progress.bytes &+= encoder._withUnsafeGuaranteedRef {
        $0.appendKeyed(
          key: line, keyCount: split, value: line + (split &+ 1), valueCount: length &- split &- 1, headers: headers,
          timestamp: timestamp)
      }
      progress.records &+= 1
      lineStart = lineStart &+ length &+ 1
    }
    progress.end = lineStart
    return progress
  }

  /// Where `byte` first occurs in the `count` bytes at `p`. Keys are short: the first 32 bytes
  /// are searched 8 at a time in a register (a zero byte of `word ^ pattern` found by the
  /// borrow trick, whose lowest hit is always exact), the rest by `memchr`.
  @inline(__always)
  static func firstIndex(of byte: UInt8, in p: UnsafeRawPointer, count: Int) -> Int? {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let pattern = UInt64(byte) &* ones
    var i = 0
    let wordsEnd = min(count, 32)
    while i &+ 8 <= wordsEnd {
      let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ pattern
      let hits = (word &- ones) & ~word & (ones &<< 7)
      if hits != 0 { return i &+ (hits.trailingZeroBitCount &>> 3) }
      i &+= 8
    }
    guard i < count, let hit = memchr(p + i, Int32(byte), count &- i) else { return nil }
    return UnsafeRawPointer(hit) - p
  }
}
