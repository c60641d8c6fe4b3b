/// zstd's backward bitstream (RFC 8878, 4.1): written forward, read from its last byte back to
/// its first. The last byte's highest set bit marks the end of the padding; the bits below it
/// come first. A 64-bit container holds the bits not yet read, refilled 8 bytes at a time.
///
/// Reading past the start yields garbage bits, never a fault: `bitsConsumed` then exceeds 64,
/// which `isOverflowed` reports and every decoder checks before trusting what it read.
struct BackwardBitReader {
  private(set) var container: UInt64
  /// Bits of `container` already read, from its top; 64 means all of it.
  private(set) var bitsConsumed: Int
  /// Where `container` was loaded from (8 bytes, or fewer at `start`).
  private var position: UnsafePointer<UInt8>
  private let start: UnsafePointer<UInt8>

  enum Status: Int, Comparable {
    /// More bytes remain before the start.
    case unfinished = 0
    /// The container holds the last bytes, some of them unread.
    case endOfBuffer = 1
    /// Every bit read, exactly.
    case completed = 2
    /// More bits read than the stream has.
    case overflow = 3
    static func < (left: Status, right: Status) -> Bool { left.rawValue < right.rawValue }
  }

  /// A reader of `start ..< start + count`; nil when the stream is empty or its last byte is
  /// zero (no end mark).
  init?(_ start: UnsafePointer<UInt8>, count: Int) {
    guard count >= 1 else { return nil }
    let last = start[count - 1]
    guard last != 0 else { return nil }
    self.start = start
    if count >= 8 {
      position = start + count - 8
      container = position.loadLE64()
      bitsConsumed = 0
    } else {
      position = start
      var value: UInt64 = 0
      for index in 0..<count { value |= UInt64(start[index]) << (8 * UInt64(index)) }
      container = value  // the missing high bytes count as read
      bitsConsumed = 8 * (8 - count)
    }
    bitsConsumed += last.leadingZeroBitCount + 1
  }

  /// The next `count` (1…56) bits, without consuming them. Past the end, garbage bits.
  @inline(__always) func peek(_ count: Int) -> UInt64 {
    ((container &<< UInt64(bitsConsumed & 63)) &>> 1) &>> UInt64((63 - count) & 63)
  }

  @inline(__always) mutating func skip(_ count: Int) { bitsConsumed &+= count }

  /// The next `count` (0…56) bits.
  @inline(__always) mutating func read(_ count: Int) -> UInt64 {
    let value = peek(count)
    bitsConsumed &+= count
    return value
  }

  /// Refills the container so it holds at least 57 unread bits, or every bit left.
  @inline(__always) @discardableResult mutating func reload() -> Status {
    if bitsConsumed > 64 { return .overflow }
    if position - start >= 8 {
      position -= bitsConsumed >> 3
      bitsConsumed &= 7
      container = position.loadLE64()
      return .unfinished
    }
    if position == start { return bitsConsumed < 64 ? .endOfBuffer : .completed }
    var bytes = bitsConsumed >> 3
    var status = Status.unfinished
    if position - bytes < start {
      bytes = position - start
      status = .endOfBuffer
    }
    position -= bytes
    bitsConsumed -= bytes * 8
    container = position.loadLE64()
    return status
  }

  /// Whether the container can be refilled with a full 8-byte load (the fast loops' test).
  @inline(__always) var hasFastReload: Bool { position - start >= 8 }

  /// Every bit of the stream was read, none more.
  var isComplete: Bool { position == start && bitsConsumed == 64 }
  var isOverflowed: Bool { bitsConsumed > 64 }
}

/// A little-endian forward bit reader over `count` bytes, for FSE table descriptions: bits
/// past the end read as zero, and `bytesUsed` tells whether the description fitted.
struct ForwardBitReader {
  private let base: UnsafePointer<UInt8>
  private let count: Int
  private(set) var bitPosition = 0

  init(_ base: UnsafePointer<UInt8>, count: Int) {
    self.base = base
    self.count = count
  }

  /// The next `width` (0…32) bits without consuming them.
  func peek(_ width: Int) -> UInt32 {
    var value: UInt64 = 0
    let first = bitPosition >> 3
    for index in 0..<5 where first + index < count {
      value |= UInt64(base[first + index]) << (8 * UInt64(index))
    }
    return UInt32(truncatingIfNeeded: (value >> UInt64(bitPosition & 7)) & ((1 << UInt64(width)) - 1))
  }

  mutating func skip(_ width: Int) { bitPosition += width }

  mutating func read(_ width: Int) -> UInt32 {
    defer { bitPosition += width }
    return peek(width)
  }

  /// Whole bytes the bits read so far span.
  var bytesUsed: Int { (bitPosition + 7) >> 3 }
}
