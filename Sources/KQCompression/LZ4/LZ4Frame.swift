/// The LZ4 frame format (lz4_Frame_format.md v1.6), as Kafka writes and reads it.
///
/// Kafka's Java producer writes one frame: magic, FLG 0x60 (version 1, independent blocks, no
/// block or content checksum, no content size), BD 0x40 (64 KiB blocks), the descriptor
/// checksum, blocks of at most 64 KiB (stored raw, high bit set, where LZ4 would not shrink
/// them) and the end mark. Kafka 0.8 computed the descriptor checksum over the magic too
/// (KAFKA-3160); both checksums are accepted. Other writers set block and content checksums,
/// the content size, link their blocks or add skippable frames: all are read.
enum LZ4Frame {
  static let magic: UInt32 = 0x184D_2204
  /// Skippable frames have magic 0x184D2A50 to 0x184D2A5F.
  static let skippableMagicMask: UInt32 = 0xFFFF_FFF0
  static let skippableMagic: UInt32 = 0x184D_2A50
  /// FLG: version 01, block independence (what Kafka writes).
  static let kafkaFlags: UInt8 = 0x60
  /// BD: block maximum size 64 KiB (what Kafka writes).
  static let kafkaBlockDescriptor: UInt8 = 0x40
  static let kafkaBlockSize = 65536
  /// The high bit of a block's size: the block is stored, not compressed.
  static let uncompressedBit: UInt32 = 0x8000_0000

  /// A frame's descriptor.
  struct Descriptor {
    var hasIndependentBlocks: Bool
    var hasBlockChecksums: Bool
    var hasContentChecksum: Bool
    var contentSize: UInt64?
    var blockMaximumSize: Int
    /// Bytes from the magic number to the first block.
    var headerSize: Int

    /// Reads the descriptor of the frame at `start` (its magic already checked).
    init(_ base: UnsafePointer<UInt8>, count: Int, start: Int) throws(CompressionError) {
      var position = start + 4
      guard count - position >= 3 else { throw .truncated(.lz4, position: start) }
      let flags = base[position]
      let blockDescriptor = base[position + 1]
      position += 2
      guard flags >> 6 == 1, flags & 0b10 == 0, blockDescriptor & 0x8F == 0 else {
        throw .malformed(.lz4, .reservedBitSet, position: start + 4)
      }
      let sizeCode = Int(blockDescriptor >> 4)
      guard sizeCode >= 4 else { throw .malformed(.lz4, .badBlockSize, position: start + 5) }
      blockMaximumSize = 1 << (2 * sizeCode + 8)
      hasIndependentBlocks = flags & 0x20 != 0
      hasBlockChecksums = flags & 0x10 != 0
      hasContentChecksum = flags & 0x04 != 0
      let hasContentSize = flags & 0x08 != 0
      let hasDictionary = flags & 0x01 != 0
      let extra = (hasContentSize ? 8 : 0) + (hasDictionary ? 4 : 0)
      guard count - position >= extra + 1 else { throw .truncated(.lz4, position: start) }
      contentSize = hasContentSize ? base.loadLE64(at: position) : nil
      position += hasContentSize ? 8 : 0
      if hasDictionary { throw .unsupported(.lz4, .dictionary(id: base.loadLE32(at: position))) }
      let stored = base[position]
      let computed = Self.headerChecksum(base + start + 4, count: position - start - 4)
      let kafka08 = Self.headerChecksum(base + start, count: position - start)
      guard stored == computed || stored == kafka08 else {
        throw .checksumMismatch(.lz4, .lz4Header, stored: UInt32(stored), computed: UInt32(computed))
      }
      headerSize = position + 1 - start
    }

    static func headerChecksum(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt8 {
      UInt8(truncatingIfNeeded: XXHash32.hash(bytes, count: count) >> 8)
    }
  }
}
