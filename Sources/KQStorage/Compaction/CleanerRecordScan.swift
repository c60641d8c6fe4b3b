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
      guard let length = VarInt.read(base, at: &position, end: end, maxBytes: 5), length >= 0,
        position + Int(length) <= end
      else { throw .malformedRecord(index: index) }
      let recordEnd = position + Int(length)
      position += 1  // attributes
      guard let timestampDelta = VarInt.read(base, at: &position, end: recordEnd),
        let offsetDelta = VarInt.read(base, at: &position, end: recordEnd, maxBytes: 5), offsetDelta > previousDelta,
        offsetDelta <= lastDelta &- Int64(count &- 1 &- index),
        let keyLength = VarInt.read(base, at: &position, end: recordEnd, maxBytes: 5), keyLength >= -1,
        position + Int(max(keyLength, 0)) <= recordEnd
      else { throw .malformedRecord(index: index) }
      let keyStart = position
      position += Int(max(keyLength, 0))
      guard let valueLength = VarInt.read(base, at: &position, end: recordEnd, maxBytes: 5), valueLength >= -1,
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
