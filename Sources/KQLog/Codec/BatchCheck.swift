/// The checks every batch read from a log passes, in one place (FORMAT.md, "Checking a
/// batch"): its length and magic (`RecordBatchView.init`, `BatchHeader.init`), its CRC
/// (`RecordBatchView.validateCRC`), and here its offsets. The reader, the read-ahead,
/// recovery, header walks and index checks all call these, so a batch is either whole and
/// placed where its predecessor ended, or a typed reason.
package enum BatchCheck {
  /// Checks the fields that place a batch's records: at least one record, lastOffsetDelta =
  /// recordCount − 1, offsets within Int64, and baseOffset = `expected` (the previous batch's
  /// next offset, or the segment's base) when that is known. After it passes,
  /// `baseOffset + lastOffsetDelta + 1` cannot overflow.
  ///
  /// `gapsAllowed` is for segments the cleaner wrote (FORMAT.md, "Compaction"): a batch may
  /// have lost records (lastOffsetDelta ≥ recordCount − 1) and start past `expected`.
  @inline(__always)
  package static func offsets(
    baseOffset: Int64, lastOffsetDelta: Int32, recordCount: Int32, expected: Int64?, gapsAllowed: Bool = false
  ) throws(BatchDecodeError) {
    guard recordCount >= 1,
      lastOffsetDelta == recordCount &- 1 || (gapsAllowed && lastOffsetDelta > recordCount &- 1)
    else {
      throw .inconsistentCount(lastOffsetDelta: lastOffsetDelta, recordCount: recordCount)
    }
    guard baseOffset >= 0, baseOffset <= Int64.max - Int64(lastOffsetDelta) - 1 else {
      throw .offsetOverflow(baseOffset: baseOffset, recordCount: recordCount)
    }
    if let expected, baseOffset != expected, !(gapsAllowed && baseOffset > expected) {
      throw .offsetMismatch(expected: expected, found: baseOffset)
    }
  }

  /// The whole check of a batch whose length and magic `RecordBatchView.init` checked: its
  /// CRC (unless a read-ahead already checked these very bytes) and its offsets.
  @inline(__always)
  package static func batch(_ view: RecordBatchView, expected: Int64?, checkCRC: Bool, gapsAllowed: Bool = false)
    throws(BatchDecodeError)
  {
    if checkCRC { try view.validateCRC() }
    try offsets(
      baseOffset: view.baseOffset, lastOffsetDelta: view.lastOffsetDelta, recordCount: view.recordCount,
      expected: expected, gapsAllowed: gapsAllowed)
  }
}
