import Glibc

/// The fields of a batch header read on their own (61 bytes), without its records: what
/// index checks, summaries and seeks need. Every header made passed `BatchCheck.offsets`, so
/// its offsets are exact and `nextOffset` cannot overflow.
package struct BatchHeader: Equatable, Sendable {
  package var baseOffset: Int64
  package var size: Int
  package var lastOffset: Int64
  package var baseTimestamp: Int64
  package var maxTimestamp: Int64
  package var recordCount: Int32
  /// Whether the writer stamped the batch (LogAppendTime): then every record's timestamp is
  /// `maxTimestamp`, whatever `baseTimestamp` and the deltas say.
  package var isLogAppendTime: Bool
  /// Attributes bit 6: baseTimestamp is the cleaner's delete horizon, not the first record's
  /// timestamp (FORMAT.md, "Compaction").
  package var hasDeleteHorizon: Bool
  /// Attributes bits 0–2: the codec of the records section (0 none; `CompressionCodec`).
  package var codecBits: Int
  package var nextOffset: Int64 { lastOffset + 1 }
  /// The first record's timestamp as readers see it, unless the batch has a delete horizon.
  package var firstTimestamp: Int64 { isLogAppendTime ? maxTimestamp : baseTimestamp }

  /// The header at `p` (61 readable bytes), checked: length, magic, and offsets following
  /// `expected` when it is known.
  package init(checking p: UnsafeRawPointer, expected: Int64? = nil, gapsAllowed: Bool = false) throws(BatchDecodeError) {
    let length = p.bigEndian(Int32.self, at: BatchLayout.batchLength)
    guard length >= Int32(BatchLayout.headerSize - BatchLayout.logOverhead) else { throw .invalidLength(length) }
    let magic = p.load(fromByteOffset: BatchLayout.magic, as: UInt8.self)
    guard magic == BatchLayout.magicValue else { throw .unsupportedMagic(magic) }
    baseOffset = p.bigEndian(Int64.self, at: BatchLayout.baseOffset)
    let lastOffsetDelta = p.bigEndian(Int32.self, at: BatchLayout.lastOffsetDelta)
    recordCount = p.bigEndian(Int32.self, at: BatchLayout.recordCount)
    try BatchCheck.offsets(
      baseOffset: baseOffset, lastOffsetDelta: lastOffsetDelta, recordCount: recordCount, expected: expected,
      gapsAllowed: gapsAllowed)
    size = Int(length) + BatchLayout.logOverhead
    lastOffset = baseOffset + Int64(lastOffsetDelta)
    baseTimestamp = p.bigEndian(Int64.self, at: BatchLayout.baseTimestamp)
    maxTimestamp = p.bigEndian(Int64.self, at: BatchLayout.maxTimestamp)
    let attributes = p.bigEndian(Int16.self, at: BatchLayout.attributes)
    isLogAppendTime = attributes & BatchLayout.logAppendTimeFlag != 0
    hasDeleteHorizon = attributes & BatchLayout.deleteHorizonFlag != 0
    codecBits = Int(attributes & BatchLayout.compressionMask)
  }

  /// The header at `p`, or nil when it fails its checks.
  package init?(at p: UnsafeRawPointer) {
    guard let header = try? BatchHeader(checking: p) else { return nil }
    self = header
  }
}
