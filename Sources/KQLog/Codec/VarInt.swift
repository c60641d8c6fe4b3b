/// Kafka's record varints: zig-zag, then base-128 little-endian groups with a continuation bit
/// (FORMAT.md, "Records"). A varint field takes at most 5 bytes, a varlong at most 10.
package enum VarInt {
  @inline(__always)
  package static func zigZag(_ value: Int64) -> UInt64 {
    UInt64(bitPattern: (value << 1) ^ (value >> 63))
  }

  @inline(__always)
  package static func unZigZag(_ value: UInt64) -> Int64 {
    Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
  }

  /// Bytes that `write(_:to:)` uses for `value`.
  @inline(__always)
  package static func size(_ value: Int64) -> Int {
    let bits = 64 - (zigZag(value) | 1).leadingZeroBitCount
    return (bits + 6) / 7
  }

  /// Writes the zig-zag varint of `value` at `pointer`; returns the bytes written.
  @inline(__always)
  package static func write(_ value: Int64, to pointer: UnsafeMutableRawPointer) -> Int {
    var v = zigZag(value)
    if v < 0x80 {
      pointer.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
      return 1
    }
    if v < 0x4000 {
      pointer.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, as: UInt8.self)
      pointer.storeBytes(of: UInt8(truncatingIfNeeded: v >> 7), toByteOffset: 1, as: UInt8.self)
      return 2
    }
    var n = 0
    while v >= 0x80 {
      pointer.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: n, as: UInt8.self)
      v >>= 7
      n += 1
    }
    pointer.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: n, as: UInt8.self)
    return n + 1
  }

  /// Encodes to a fresh array (tests and slow paths).
  package static func encode(_ value: Int64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 10)
    let n = bytes.withUnsafeMutableBytes { write(value, to: $0.baseAddress!) }
    return Array(bytes.prefix(n))
  }

  /// Steps over a varint without decoding it; false when it runs past `end`.
  @inline(__always)
  package static func skip(_ bytes: UnsafeRawPointer, at position: inout Int, end: Int) -> Bool {
    var i = position
    while i < end {
      let byte = bytes.load(fromByteOffset: i, as: UInt8.self)
      i += 1
      if byte < 0x80 {
        position = i
        return true
      }
    }
    return false
  }

  /// Reads a zig-zag varint of at most `maxBytes` bytes from `bytes[position..<end]`.
  /// Returns nil when it runs past `end` or is longer than `maxBytes`. The one- and two-byte
  /// cases (nearly every field of a record) are small enough to inline into every decode loop,
  /// in other modules too; longer varints take the outlined `readLonger`.
  @inline(__always)
  package static func read(_ bytes: UnsafeRawPointer, at position: inout Int, end: Int, maxBytes: Int = 10) -> Int64? {
    if position < end {
      let first = bytes.load(fromByteOffset: position, as: UInt8.self)
      if first < 0x80 {
        position += 1
        return unZigZag(UInt64(first))
      }
      if position + 1 < end && maxBytes >= 2 {
        let second = bytes.load(fromByteOffset: position + 1, as: UInt8.self)
        if second < 0x80 {
          position += 2
          return unZigZag(UInt64(first & 0x7f) | UInt64(second) << 7)
        }
      }
    }
    return readLonger(bytes, at: &position, end: end, maxBytes: maxBytes)
  }

  @inline(never)
  private static func readLonger(_ bytes: UnsafeRawPointer, at position: inout Int, end: Int, maxBytes: Int) -> Int64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    var i = position
    let limit = min(end, position + maxBytes)
    while i < limit {
      let byte = bytes.load(fromByteOffset: i, as: UInt8.self)
      i += 1
      result |= UInt64(byte & 0x7f) << shift
      if byte < 0x80 {
        position = i
        return unZigZag(result)
      }
      shift += 7
    }
    return nil
  }
}
