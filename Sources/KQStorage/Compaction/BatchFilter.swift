import Glibc
import KQCompression
import KQLog

/// What the cleaner does to one batch (FORMAT.md, "Compaction"): keeps each record that is its
/// key's last (`KeyMap`), drops records without a key (a compacted topic refuses them; older
/// ones may remain from before its policy changed), and drops tombstones whose batch's delete
/// horizon has passed. A kept batch keeps its baseOffset, lastOffsetDelta, producer fields and
/// codec; records keep their bytes (offset and timestamp deltas included). A batch that keeps
/// a tombstone and has no delete horizon gets one (attributes bit 6, baseTimestamp = now +
/// `delete.retention.ms`), its records' timestamp deltas rewritten against it.
final class BatchFilter {
  let nowMillis: Int64
  let deleteRetentionMillis: Int64
  /// The offsets kept, walked in step with the batches handed in (offset order).
  private var keptOffsets: KeptOffsets
  private let records = ByteBuffer(capacity: 1 << 16)
  /// The kept records of the batch in hand: start and end in its bytes, timestamp.
  private var kept: [(start: Int, end: Int, timestamp: Int64)] = []

  init(keeping keptOffsets: KeptOffsets, nowMillis: Int64, deleteRetentionMillis: Int64) {
    self.keptOffsets = keptOffsets
    self.nowMillis = nowMillis
    self.deleteRetentionMillis = deleteRetentionMillis
    kept.reserveCapacity(1024)
  }

  /// Whether the batch whose header is `stored` keeps no record, told by its offsets alone:
  /// then it need not be decompressed nor read. Batches come in offset order.
  @inline(__always)
  func keepsNothing(_ stored: RecordBatchView) -> Bool {
    let first = stored.baseOffset
    return !keptOffsets.anyKept(from: first, through: first &+ Int64(stored.lastOffsetDelta))
  }

  /// Appends the cleaned form of `stored` to `output` (nothing when it keeps no record);
  /// `decoded` is its records readable (the batch itself, or decompressed). Returns the number
  /// of records kept.
  func filter(_ stored: RecordBatchView, decoded: RecordBatchView, into output: ByteBuffer) throws(BatchDecodeError)
    -> Int
  {
    kept.removeAll(keepingCapacity: true)
    let attributes = stored.attributes
    let hasHorizon = attributes & BatchLayout.deleteHorizonFlag != 0
    let horizonPassed = hasHorizon && stored.baseTimestamp <= nowMillis
    var keepsTombstone = false
    let baseOffset = decoded.baseOffset
    let baseTimestamp = decoded.baseTimestamp
    var count = 0
    // A record is kept when its offset is its key's last (`KeptOffsets`); a record without a
    // key has no offset there, so it is dropped.
    try decoded.forEachCleanerRecord { record in
      count += 1
      guard keptOffsets.isKept(baseOffset &+ record.offsetDelta) else { return }
      if record.isTombstone {
        if horizonPassed { return }
        keepsTombstone = true
      }
      kept.append((record.start, record.end, baseTimestamp &+ record.timestampDelta))
    }
    guard !kept.isEmpty else { return 0 }
    let newHorizon = keepsTombstone && !hasHorizon
    if kept.count == count && !newHorizon {
      output.append(stored.base, count: stored.size)
      return count
    }
    let horizon = newHorizon ? nowMillis.addingReportingOverflow(deleteRetentionMillis).overflow ? Int64.max : nowMillis &+ deleteRetentionMillis : baseTimestamp
    records.count = 0
    var maxTimestamp = Int64.min
    for record in kept {
      maxTimestamp = max(maxTimestamp, record.timestamp)
      if newHorizon {
        try appendRebased(decoded, record.start, record.end, timestamp: record.timestamp, base: horizon)
      } else {
        records.append(decoded.base + record.start, count: record.end - record.start)
      }
    }
    if stored.isLogAppendTime { maxTimestamp = stored.maxTimestamp }
    var codecBits = Int16(0)
    var compressed: [UInt8]?
    if let codec = CompressionCodec(rawValue: stored.compressionCodec), codec != .none,
      let bytes = try? codec.compress(UnsafeRawBufferPointer(start: records.base, count: records.count)),
      bytes.count < records.count
    {
      compressed = bytes
      codecBits = Int16(codec.rawValue)
    }
    let at = output.count
    output.append(stored.base, count: BatchLayout.headerSize)
    if let compressed { output.append(compressed) } else { output.append(records.base, count: records.count) }
    let size = output.count - at
    var newAttributes = (attributes & ~BatchLayout.compressionMask) | codecBits
    if newHorizon { newAttributes |= BatchLayout.deleteHorizonFlag }
    (output.base + at).storeBigEndian(Int32(size - BatchLayout.logOverhead), at: BatchLayout.batchLength)
    (output.base + at).storeBigEndian(newAttributes, at: BatchLayout.attributes)
    (output.base + at).storeBigEndian(horizon, at: BatchLayout.baseTimestamp)
    (output.base + at).storeBigEndian(maxTimestamp, at: BatchLayout.maxTimestamp)
    (output.base + at).storeBigEndian(Int32(kept.count), at: BatchLayout.recordCount)
    let crc = CRC32C.checksum(
      UnsafeRawBufferPointer(start: output.base + at + BatchLayout.attributes, count: size - BatchLayout.attributes))
    (output.base + at).storeBigEndian(crc, at: BatchLayout.crc)
    return kept.count
  }

  /// Appends the record at `start..<end` of `batch` with its timestamp delta taken from `base`.
  private func appendRebased(_ batch: RecordBatchView, _ start: Int, _ end: Int, timestamp: Int64, base: Int64)
    throws(BatchDecodeError)
  {
    var position = start
    guard VarInt.read(batch.base, at: &position, end: end, maxBytes: 5) != nil else { throw .malformedRecord(index: 0) }
    let attributesAt = position
    position += 1
    guard VarInt.read(batch.base, at: &position, end: end) != nil else { throw .malformedRecord(index: 0) }
    let rest = end - position
    let delta = timestamp &- base
    let body = 1 + VarInt.size(delta) + rest
    records.reserve(5 + body)
    var p = records.base + records.count
    p += VarInt.write(Int64(body), to: p)
    p.storeBytes(of: batch.base.load(fromByteOffset: attributesAt, as: UInt8.self), as: UInt8.self)
    p += 1
    p += VarInt.write(delta, to: p)
    memcpy(p, batch.base + position, rest)
    p += rest
    records.count = p - records.base
  }
}
