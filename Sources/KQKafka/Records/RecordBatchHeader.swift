/// The fields of a RecordBatch v2 header that the client reads or stamps (kafka-format.md,
/// section 1.1; KQStorage's BatchLayout is the same layout). Positions from the batch start.
package enum RecordBatchHeader {
  static let batchLength = 8  // Int32: bytes after this field
  static let magic = 16  // Int8, 2
  static let crc = 17  // UInt32: CRC-32C of [attributes, end)
  static let attributes = 21  // the first byte the CRC covers
  static let producerId = 43  // Int64
  static let producerEpoch = 51  // Int16
  static let baseSequence = 53  // Int32
  static let recordCount = 57  // Int32
  static let size = 61
  /// baseOffset and batchLength, which batchLength does not count.
  static let logOverhead = 12

  /// The whole batches at the start of `bytes`: where the first batch that is cut short (or
  /// not a batch) begins. A fetch answer may end inside a batch that did not fit.
  package static func wholeBatchesLength(_ bytes: UnsafeRawBufferPointer) -> Int {
    var position = 0
    while bytes.count - position >= logOverhead {
      let length = Int(Int32(bitPattern: load(bytes, at: position + batchLength)))
      guard length >= size - logOverhead, length <= bytes.count - position - logOverhead else { break }
      position += logOverhead + length
    }
    return position
  }

  static func load(_ bytes: UnsafeRawBufferPointer, at position: Int) -> UInt32 {
    UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
  }
}
