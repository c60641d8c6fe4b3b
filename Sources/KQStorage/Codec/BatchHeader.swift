/// The fields of a batch header read on their own (61 bytes), without its records: what
/// index checks, summaries and seeks need.
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
  package var nextOffset: Int64 { lastOffset + 1 }
  /// The first record's timestamp as readers see it.
  package var firstTimestamp: Int64 { isLogAppendTime ? maxTimestamp : baseTimestamp }

  package init?(at p: UnsafeRawPointer) {
    let length = p.bigEndian(Int32.self, at: BatchLayout.batchLength)
    guard length >= Int32(BatchLayout.headerSize - BatchLayout.logOverhead),
      p.load(fromByteOffset: BatchLayout.magic, as: UInt8.self) == BatchLayout.magicValue
    else { return nil }
    baseOffset = p.bigEndian(Int64.self, at: BatchLayout.baseOffset)
    size = Int(length) + BatchLayout.logOverhead
    lastOffset = baseOffset + Int64(p.bigEndian(Int32.self, at: BatchLayout.lastOffsetDelta))
    baseTimestamp = p.bigEndian(Int64.self, at: BatchLayout.baseTimestamp)
    maxTimestamp = p.bigEndian(Int64.self, at: BatchLayout.maxTimestamp)
    recordCount = p.bigEndian(Int32.self, at: BatchLayout.recordCount)
    isLogAppendTime = p.bigEndian(Int16.self, at: BatchLayout.attributes) & BatchLayout.logAppendTimeFlag != 0
  }

  /// Reads the header at `position` of an open log; nil when there is no plausible header
  /// there (too few bytes, bad length or magic, or a batch running past `fileSize`).
  package static func read(from fd: CInt, at position: Int64, fileSize: Int64, fileSystem: FileSystem, path: String)
    throws(Errno) -> BatchHeader?
  {
    guard fileSize - position >= Int64(BatchLayout.headerSize) else { return nil }
    var raw: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0, 0)
    return try withUnsafeMutableBytes(of: &raw) { buffer throws(Errno) -> BatchHeader? in
      let got = try fileSystem.read(fd, into: buffer.baseAddress!, count: BatchLayout.headerSize, at: position, path: path)
      guard got == BatchLayout.headerSize, let header = BatchHeader(at: buffer.baseAddress!),
        Int64(header.size) <= fileSize - position
      else { return nil }
      return header
    }
  }
}
