import KQCompression

/// Why bytes are not a valid RecordBatch v2. Carried inside `StorageError.corruptBatch`.
package enum BatchDecodeError: Error, Equatable, Sendable {
  /// Fewer bytes than the header or the batch length says.
  case truncated(needed: Int, available: Int)
  /// batchLength below the 49-byte minimum, or negative.
  case invalidLength(Int32)
  case unsupportedMagic(UInt8)
  case crcMismatch(stored: UInt32, computed: UInt32)
  /// A record's varints or lengths run past the batch end, or the count disagrees.
  case malformedRecord(index: Int)
  /// The records section of the compressed batch at `baseOffset` does not decode: a malformed
  /// stream, a codec number Kafka does not define, or more bytes than the batch may hold
  /// (`RecordBatchView.decompressionLimit`).
  case undecodableRecords(baseOffset: Int64, CompressionError)
  /// The batch's baseOffset is not where the batch before it ended (or, for a segment's
  /// first batch, the segment's base offset): offsets would skip, repeat or go back.
  case offsetMismatch(expected: Int64, found: Int64)
  /// lastOffsetDelta is not recordCount − 1 (or the count is below 1): the batch's offsets
  /// cannot be told.
  case inconsistentCount(lastOffsetDelta: Int32, recordCount: Int32)
  /// The batch's offsets would pass the largest offset (Int64.max − 1).
  case offsetOverflow(baseOffset: Int64, recordCount: Int32)
}
