import Glibc
import KQCompression

/// Reading a compressed batch (attributes bits 0–2, FORMAT.md "Compression"): its records
/// section is decoded once into a buffer behind a copy of its header, and the records are then
/// read from that uncompressed batch exactly as from any other.
extension RecordBatchView {
  /// The codec the attributes name; `undecodableRecords` for 5, 6 and 7.
  package func codec() throws(BatchDecodeError) -> CompressionCodec {
    do { return try CompressionCodec(attributes: attributes) } catch {
      throw .undecodableRecords(baseOffset: baseOffset, error)
    }
  }

  /// The most bytes kq lets any compressed batch decode to (256 MiB), whatever the topic's
  /// `max.message.bytes`: a memory bound, and far below the Int32 batch length.
  package static let largestDecompressedBytes = 256 << 20

  /// The most bytes this batch's records section may decode to: `recordCount` records of at
  /// most `max.message.bytes` each (a record alone in a batch never exceeds it; 1 MiB at
  /// least, so that lowering the setting does not make older records unreadable), and never
  /// more than `largestDecompressedBytes`.
  package func decompressionLimit(maxMessageBytes: Int) -> Int {
    let perRecord = max(maxMessageBytes, 1 << 20)
    let (total, overflow) = max(Int(recordCount), 0).multipliedReportingOverflow(by: perRecord)
    return overflow ? Self.largestDecompressedBytes : min(total, Self.largestDecompressedBytes)
  }

  /// This batch with its records decompressed into `buffer` (its previous contents replaced):
  /// the same header with the codec bits cleared and the batch length of the decoded records.
  /// The CRC is not recomputed: it covers the stored, compressed bytes, which the reader
  /// checked. An uncompressed batch is returned as it is and `buffer` is left alone.
  package func decompressed(into buffer: ByteBuffer, maxMessageBytes: Int) throws(BatchDecodeError) -> RecordBatchView {
    let codec = try codec()
    guard codec != .none else { return self }
    let compressed = UnsafeRawBufferPointer(start: base + BatchLayout.headerSize, count: size - BatchLayout.headerSize)
    // The records decode straight behind the header's place in the buffer (lz4: no copy).
    let recordCount: Int
    do {
      recordCount = try codec.decompress(compressed, limit: decompressionLimit(maxMessageBytes: maxMessageBytes)) { capacity in
        buffer.count = 0
        buffer.reserve(BatchLayout.headerSize + max(capacity, 1))
        return (buffer.base + BatchLayout.headerSize).assumingMemoryBound(to: UInt8.self)
      }
    } catch {
      throw .undecodableRecords(baseOffset: baseOffset, error)
    }
    buffer.count = 0
    buffer.append(base, count: BatchLayout.headerSize)
    buffer.count += recordCount
    let header = buffer.base
    header.storeBigEndian(Int32(buffer.count - BatchLayout.logOverhead), at: BatchLayout.batchLength)
    header.storeBigEndian(attributes & ~BatchLayout.compressionMask, at: BatchLayout.attributes)
    return RecordBatchView(unchecked: UnsafeRawPointer(header), size: buffer.count)
  }

  /// Calls `body` with this compressed batch decoded into a buffer that lives for the call,
  /// under the default `max.message.bytes`: a compressed batch met outside a reader (which
  /// decompresses what it hands out). Tests and slow paths only.
  @inline(never)
  func withDecompressed<R>(_ body: (RecordBatchView) throws -> R) throws -> R {
    let buffer = ByteBuffer(capacity: 0)
    return try withExtendedLifetime(buffer) {
      try body(try decompressed(into: buffer, maxMessageBytes: Int(TopicConfig().maxMessageBytes)))
    }
  }
}
