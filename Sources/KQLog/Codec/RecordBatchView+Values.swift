import CKQValues
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
    // The usual records in C (`kq_append_values`: valueFast's steps, with AVX2 moves where the
    // CPU has them); any other record here, the checked way, and then C again.
    var cursor = kq_values_cursor(
      position: BatchLayout.headerSize, index: 0, out: (buffer.base + buffer.count).assumingMemoryBound(to: UInt8.self))
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    while true {
      kq_append_values(bytes, size, count, terminator, &cursor)
      guard cursor.index < count else { break }
      guard let value = valueChecked(at: cursor.position) else { throw .malformedRecord(index: cursor.index) }
      copySmall(to: cursor.out, from: base + value.start, count: value.count)
      cursor.out[value.count] = terminator
      cursor.out += value.count + 1
      cursor.index += 1
      cursor.position = value.next
    }
    guard cursor.position == size else { throw .malformedRecord(index: count) }
    buffer.count = UnsafeMutableRawPointer(cursor.out) - buffer.base
    return count
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
      let valueCount = Int(exactly: max(value, 0)), valueCount <= recordEnd - p
    else { return nil }
    let valueStart = p
    p += valueCount
    // The headers, walked to the record's end: a count or length that does not fit is a
    // malformed record, whatever the batch's CRC says.
    guard let headers = VarInt.read(base, at: &p, end: recordEnd, maxBytes: 5).flatMap({ Int(exactly: $0) }),
      RecordHeaders.walk(base, count: headers, from: p, end: recordEnd, { _, _ in })
    else { return nil }
    return (valueStart, valueCount, recordEnd)
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
