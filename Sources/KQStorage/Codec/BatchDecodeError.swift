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
  /// Compressed batches (written by Kafka with compression) are not read by kq.
  case compressed(codec: Int)
}
