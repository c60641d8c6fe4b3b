/// RecordBatch v2 header, big-endian; FORMAT.md, "RecordBatch v2". Offsets are byte positions
/// from the start of the batch.
package enum BatchLayout {
  package static let baseOffset = 0  // Int64, not covered by the CRC
  package static let batchLength = baseOffset + 8  // Int32: bytes after this field
  package static let partitionLeaderEpoch = batchLength + 4  // Int32, not covered by the CRC
  package static let magic = partitionLeaderEpoch + 4  // Int8, always 2
  package static let crc = magic + 1  // UInt32, CRC-32C of [attributes, end)
  package static let attributes = crc + 4  // Int16
  package static let lastOffsetDelta = attributes + 2  // Int32
  package static let baseTimestamp = lastOffsetDelta + 4  // Int64
  package static let maxTimestamp = baseTimestamp + 8  // Int64
  package static let producerId = maxTimestamp + 8  // Int64, -1
  package static let producerEpoch = producerId + 8  // Int16, -1
  package static let baseSequence = producerEpoch + 2  // Int32, -1
  package static let recordCount = baseSequence + 4  // Int32
  package static let headerSize = recordCount + 4  // 61
  /// baseOffset and batchLength: the part of a batch not counted by batchLength.
  package static let logOverhead = 12
  package static let magicValue: UInt8 = 2

  package static let compressionMask: Int16 = 0x07
  package static let logAppendTimeFlag: Int16 = 0x08
  package static let transactionalFlag: Int16 = 0x10
  package static let controlFlag: Int16 = 0x20
  /// Set by log compaction: baseTimestamp holds the batch's delete horizon (FORMAT.md, "Compaction").
  package static let deleteHorizonFlag: Int16 = 0x40
}
