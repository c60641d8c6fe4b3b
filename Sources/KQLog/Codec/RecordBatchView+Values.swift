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
    for index in 0..<count {
      // Positions pass by value, not inout: the loop's position then stays in a register.
      guard let value = valueFast(at: position) ?? valueChecked(at: position) else {
        throw .malformedRecord(index: index)
      }
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
    let first = Int(base.load(fromByteOffset: p, as: UInt8.self))
    var length: Int
    if first < 0x80 {
      length = first
      p &+= 1
    } else {
      let second = Int(base.load(fromByteOffset: p &+ 1, as: UInt8.self))
      guard second < 0x80 else { return nil }
      length = (first & 0x7f) | second << 7
      p &+= 2
    }
    length = (length >> 1) ^ -(length & 1)
    let recordEnd = p &+ length
    guard length >= 0, recordEnd <= end else { return nil }
    p &+= 1  // attributes
    // Timestamp and offset deltas: the second byte without its continuation bit ends them.
    let deltas = base.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian
    var stops = ~deltas & 0x8080_8080_8080_8080
    stops &= stops &- 1
    guard stops != 0 else { return nil }
    p &+= stops.trailingZeroBitCount >> 3 &+ 1
    guard p &+ 2 <= recordEnd, let key = shortLength(at: &p), key >= -1, p &+ max(key, 0) &+ 2 <= recordEnd else {
      return nil
    }
    p &+= max(key, 0)
    guard let value = shortLength(at: &p), value >= -1, p &+ max(value, 0) < recordEnd else { return nil }
    return (p, max(value, 0), recordEnd)
  }

  /// A zig-zag varint of 1 or 2 bytes at `p` (the caller checked both are readable).
  @inline(__always)
  private func shortLength(at p: inout Int) -> Int? {
    let first = Int(base.load(fromByteOffset: p, as: UInt8.self))
    var value: Int
    if first < 0x80 {
      value = first
      p &+= 1
    } else {
      let second = Int(base.load(fromByteOffset: p &+ 1, as: UInt8.self))
      guard second < 0x80 else { return nil }
      value = (first & 0x7f) | second << 7
      p &+= 2
    }
    return (value >> 1) ^ -(value & 1)
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

/// Copies `count` bytes with inline 32-byte vector moves when short (most values), where a
/// call to `memcpy` would cost more than the copy; long runs go to `memcpy`.
@inline(__always)
func copySmall(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
  if count >= 32 && count <= 128 {
    var offset = 0
    while offset + 32 < count {
      destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: SIMD32<UInt8>.self), toByteOffset: offset, as: SIMD32<UInt8>.self)
      offset += 32
    }
    let last = count - 32
    destination.storeBytes(of: source.loadUnaligned(fromByteOffset: last, as: SIMD32<UInt8>.self), toByteOffset: last, as: SIMD32<UInt8>.self)
  } else {
    memcpy(destination, source, count)
  }
}
