import KQLog
/// One record of a batch as the cleaner reads it: where its bytes are, its deltas, where its
/// key is, and whether its value is null. Its headers are neither read nor needed: a kept
/// record's bytes are copied whole, from a batch whose CRC was checked.
struct CleanerRecord {
  var start: Int
  var end: Int
  var offsetDelta: Int64
  var timestampDelta: Int64
  var keyStart: Int
  /// -1 for a null key.
  var keyLength: Int
  var isTombstone: Bool
}

extension RecordBatchView {
  /// Calls `body` with each record of this uncompressed batch, read with only the fields the
  /// cleaner needs (a third of what `forEachRecord` decodes), checked as `forEachRecord` checks
  /// them: lengths within the record and the batch, offset deltas growing and within
  /// lastOffsetDelta, the last record ending at the batch's end.
  @inline(__always)
  func forEachCleanerRecord(_ body: (CleanerRecord) -> Void) throws(BatchDecodeError) {
    let count = try checkedRecordCount()
    let lastDelta = Int64(lastOffsetDelta)
    var previousDelta: Int64 = -1
    var position = BatchLayout.headerSize
    let end = size
    for index in 0..<count {
      let start = position
      guard let length = shortVarInt(base, at: &position, end: end, maxBytes: 5), length >= 0,
        position + Int(length) <= end
      else { throw .malformedRecord(index: index) }
      let recordEnd = position + Int(length)
      position += 1  // attributes
      guard let timestampDelta = shortVarInt(base, at: &position, end: recordEnd),
        let offsetDelta = shortVarInt(base, at: &position, end: recordEnd, maxBytes: 5), offsetDelta > previousDelta,
        offsetDelta <= lastDelta &- Int64(count &- 1 &- index),
        let keyLength = shortVarInt(base, at: &position, end: recordEnd, maxBytes: 5), keyLength >= -1,
        position + Int(max(keyLength, 0)) <= recordEnd
      else { throw .malformedRecord(index: index) }
      let keyStart = position
      position += Int(max(keyLength, 0))
      guard let valueLength = shortVarInt(base, at: &position, end: recordEnd, maxBytes: 5), valueLength >= -1,
        position + Int(max(valueLength, 0)) <= recordEnd
      else { throw .malformedRecord(index: index) }
      previousDelta = offsetDelta
      position = recordEnd
      body(
        CleanerRecord(
          start: start, end: recordEnd, offsetDelta: offsetDelta, timestampDelta: timestampDelta, keyStart: keyStart,
          keyLength: Int(keyLength), isTombstone: valueLength < 0))
    }
    guard position == end else { throw .malformedRecord(index: count) }
  }
}

/// `VarInt.read` with its one- and two-byte cases (nearly all of a record's fields) here, where
/// the optimizer inlines them into the scan loop; longer ones go to `VarInt.read`. `maxBytes`
/// is at least 2.
@inline(__always)
private func shortVarInt(_ bytes: UnsafeRawPointer, at position: inout Int, end: Int, maxBytes: Int = 10) -> Int64? {
  if position + 1 < end {
    let first = bytes.load(fromByteOffset: position, as: UInt8.self)
    if first < 0x80 {
      position += 1
      return unZigZag(UInt64(first))
    }
    let second = bytes.load(fromByteOffset: position + 1, as: UInt8.self)
    if second < 0x80 {
      position += 2
      return unZigZag(UInt64(first & 0x7f) | UInt64(second) << 7)
    }
  }
  return VarInt.read(bytes, at: &position, end: end, maxBytes: maxBytes)
}

@inline(__always)
private func unZigZag(_ value: UInt64) -> Int64 {
  Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
}
