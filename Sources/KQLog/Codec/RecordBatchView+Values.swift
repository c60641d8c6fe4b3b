import Glibc

/// Plain consumption's fast path: every record's value, each followed by a terminator byte,
/// copied out without decoding the rest of the record.
extension RecordBatchView {
  /// Copies every record's value, each followed by `terminator`, into `buffer` (a null value
  /// as an empty one). Returns the number of records.
  package func appendValues(into buffer: ByteBuffer, terminator: UInt8) throws(BatchDecodeError) -> Int {
    if compressionCodec != 0 {
      let decoded = ByteBuffer(capacity: 0)
      return try withExtendedLifetime(decoded) { () throws(BatchDecodeError) -> Int in
        try decompressed(into: decoded, maxMessageBytes: Int(TopicConfig().maxMessageBytes))
          .appendValues(into: buffer, terminator: terminator)
      }
    }
    let count = try checkedRecordCount()
    buffer.reserve(size + count)
    var out = buffer.base + buffer.count
    var position = BatchLayout.headerSize
    var index = 0
    while index < count {
      // Positions pass by value, not inout: the loop's position then stays in a register.
      guard let value = valueFast(at: position) ?? valueChecked(at: position) else {
        throw .malformedRecord(index: index)
      }
      index &+= 1
      position = value.next
      if value.count > 0 {
        copySmall(to: out, from: base + value.start, count: value.count)
        out += value.count
      }
      out.storeBytes(of: terminator, as: UInt8.self)
      out += 1
    }
    guard position == size else { throw .malformedRecord(index: count) }
    buffer.count = out - buffer.base
    return count
  }

  /// The value of the record at `position` (empty when null), for the common shape: a length
  /// of at most 2 bytes, timestamp and offset deltas within 8 bytes together, a key length and
  /// a value length of at most 2 bytes. One bound check up front, then unchecked loads; nil
  /// for any other shape or anything out of bounds, for `valueChecked`. `next` is where the
  /// next record starts.
  @inline(__always)
  private func valueFast(at position: Int) -> (start: Int, count: Int, next: Int)? {
    let end = size
    guard position &+ 16 <= end else { return nil }
    var p = position
    // The length, zig-zag encoded: an odd value is negative.
    guard let length = shortZigZag(at: &p), length & 1 == 0 else { return nil }
    let recordEnd = p &+ length >> 1
    guard recordEnd <= end else { return nil }
    p &+= 1  // attributes
    // Timestamp and offset deltas: the second byte without its continuation bit ends them.
    let deltas = base.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian
    var stops = ~deltas & 0x8080_8080_8080_8080
    stops &= stops &- 1
    guard stops != 0 else { return nil }
    p &+= stops.trailingZeroBitCount >> 3 &+ 1
    // A null key (-1, the byte 0x01) is the common case: one compare. Any other key's length
    // stays zig-zag encoded: even is zero or more; odd (null here, or negative) goes the
    // checked way.
    if p &+ 3 <= recordEnd && base.load(fromByteOffset: p, as: UInt8.self) == 1 {
      p &+= 1
    } else {
      guard p &+ 2 <= recordEnd, let key = shortZigZag(at: &p), key & 1 == 0 else { return nil }
      p &+= key >> 1
      guard p &+ 2 <= recordEnd else { return nil }
    }
    // The value's length: even (zero or more), or 1 for null.
    guard let value = shortZigZag(at: &p) else { return nil }
    let count: Int
    if value & 1 == 0 {
      count = value >> 1
    } else {
      guard value == 1 else { return nil }
      count = 0
    }
    guard p &+ count < recordEnd else { return nil }
    return (p, count, recordEnd)
  }

  /// A varint of 1 or 2 bytes at `p`, still zig-zag encoded (the caller checked both bytes
  /// are readable), from one 2-byte load.
  @inline(__always)
  private func shortZigZag(at p: inout Int) -> Int? {
    let pair = Int(base.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian)
    if pair & 0x80 == 0 {
      p &+= 1
      return pair & 0x7f
    }
    guard pair & 0x8000 == 0 else { return nil }
    p &+= 2
    return (pair & 0x7f) | (pair >> 8) << 7
  }

  /// Any record shape, every varint checked against the record's bounds.
  @inline(never)
  private func valueChecked(at position: Int) -> (start: Int, count: Int, next: Int)? {
    let end = size
    var p = position
    guard let length = VarInt.read(base, at: &p, end: end, maxBytes: 5), length >= 0, p + Int(length) <= end
    else { return nil }
    let recordEnd = p + Int(length)
    p += 1
    guard VarInt.skip(base, at: &p, end: recordEnd), VarInt.skip(base, at: &p, end: recordEnd),
      let key = VarInt.read(base, at: &p, end: recordEnd, maxBytes: 5), key >= -1, p + Int(max(key, 0)) <= recordEnd
    else { return nil }
    p += Int(max(key, 0))
    guard let value = VarInt.read(base, at: &p, end: recordEnd, maxBytes: 5), value >= -1,
      p + Int(max(value, 0)) <= recordEnd
    else { return nil }
    return (p, Int(max(value, 0)), recordEnd)
  }
}

/// Copies `count` bytes with inline vector moves when short (most values), where a call to
/// `memcpy` would cost more than the copy; long runs go to `memcpy`. From 32 to 128 bytes, two
/// overlapping runs of 32 or 64 bytes, one from each end, without a loop.
@inline(__always)
func copySmall(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
  if count >= 32 && count <= 128 {
    if count > 64 {
      copy32(destination, source, at: 0)
      copy32(destination, source, at: 32)
      copy32(destination, source, at: count &- 64)
      copy32(destination, source, at: count &- 32)
    } else {
      copy32(destination, source, at: 0)
      copy32(destination, source, at: count &- 32)
    }
  } else {
    memcpy(destination, source, count)
  }
}

@inline(__always)
private func copy32(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, at offset: Int) {
  destination.storeBytes(
    of: source.loadUnaligned(fromByteOffset: offset, as: SIMD32<UInt8>.self), toByteOffset: offset, as: SIMD32<UInt8>.self)
}
