import Glibc
import KQLog

/// What checking one segment found: where its records end, the first batch that failed, and
/// the indexes its log calls for (`SegmentIndexer`, Kafka's rule), to compare or rewrite.
struct SegmentCheck {
  struct Failure {
    var position: Int64
    /// The offset the failed batch should have started at.
    var expected: Int64
    var reason: BatchDecodeError
    /// The first whole batch after the failure that passes its checks, if any.
    var intact: TailDamage.IntactBatch?
    /// The offset after the highest offset the damaged bytes still name (headers that can
    /// be read, intact batches): a writer continues past it.
    var highestHeld: Int64
  }

  let base: Int64
  let isActive: Bool
  var logSize: Int64 = 0
  /// The offset after the last good batch.
  var end: Int64
  var failure: Failure?
  /// A torn tail at this position (the newest segment only).
  var tornAt: Int64?
  var indexer: SegmentIndexer
  let offsetEntries = ByteBuffer(capacity: 256)
  let timeEntries = ByteBuffer(capacity: 256)
  /// The index files as read before the log (so a concurrent append can only make them look behind).
  var indexOnDisk: [UInt8] = []
  var timeIndexOnDisk: [UInt8] = []
  /// The log was removed meanwhile (retention).
  var isGone = false

  init(base: Int64, isActive: Bool) {
    self.base = base
    self.isActive = isActive
    end = base
    indexer = SegmentIndexer(base: base)
  }

  /// The `.timeindex` the log calls for: a sealed segment's carries one last entry.
  func expectedTimeIndex(sealed: Bool) -> [UInt8] {
    var bytes = Array(UnsafeRawBufferPointer(start: timeEntries.base, count: timeEntries.count))
    if sealed {
      var copy = indexer
      let extra = ByteBuffer(capacity: TimeIndex.entrySize)
      copy.appendTimeEntryIfGrown(into: extra)
      bytes += UnsafeRawBufferPointer(start: extra.base, count: extra.count)
    }
    return bytes
  }

  var expectedIndex: [UInt8] { Array(UnsafeRawBufferPointer(start: offsetEntries.base, count: offsetEntries.count)) }

  enum IndexState { case matches, behind, mismatch }

  static func compare(_ onDisk: [UInt8], _ expected: [UInt8]) -> IndexState {
    if onDisk == expected { return .matches }
    if onDisk.count < expected.count && expected.starts(with: onDisk) { return .behind }
    return .mismatch
  }

  /// Reads the segment's indexes, then checks every batch and record of its log.
  /// `buffer` is the reader's and `decoded` a compressed batch's records, both shared by the
  /// segments of a partition.
  static func run(
    folder: String, base: Int64, isActive: Bool, fileSystem: FileSystem, buffer: ByteBuffer, decoded: ByteBuffer
  ) throws(StorageError) -> SegmentCheck {
    var check = SegmentCheck(base: base, isActive: isActive)
    let indexPath = FileNames.offsetIndexFile(in: folder, base: base)
    let timePath = FileNames.timeIndexFile(in: folder, base: base)
    do {
      check.indexOnDisk = try fileSystem.readSmallFile(indexPath, limit: 1 << 30) ?? []
      check.timeIndexOnDisk = try fileSystem.readSmallFile(timePath, limit: 1 << 30) ?? []
    } catch { throw .io(error, operation: "read", path: indexPath) }
    let path = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch {
      if error == .noSuchFile {
        check.isGone = true
        return check
      }
      throw .io(error, operation: "open", path: path)
    }
    defer { try? fileSystem.close(fd) }
    do { check.logSize = try fileSystem.size(of: fd, path: path) } catch { throw .io(error, operation: "stat", path: path) }
    try check.scan(fd: fd, path: path, folder: folder, fileSystem: fileSystem, buffer: buffer, decoded: decoded)
    return check
  }

  private mutating func scan(
    fd: CInt, path: String, folder: String, fileSystem: FileSystem, buffer: ByteBuffer, decoded: ByteBuffer
  ) throws(StorageError) {
    let reader = SegmentBatchReader(
      fd: fd, path: path, fileSystem: fileSystem, from: 0, expecting: base, fileSize: logSize, buffer: buffer)
    // A segment the cleaner wrote: batches may have lost records (FORMAT.md, "Compaction").
    reader.gapsAllowed = base < CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem)
    while true {
      let expected = reader.expectedOffset ?? base
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try reader.next() } catch { throw .io(error, operation: "read", path: path) }
      var failedAt: Int64
      var reason: BatchDecodeError?
      switch outcome {
      case .batch(let batch, let position):
        if let recordReason = Self.checkRecords(batch, decoded: decoded) {
          failedAt = position
          reason = recordReason
        } else {
          indexer.willAppend(
            position: position, size: batch.size, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp,
            offsetEntries: offsetEntries, timeEntries: timeEntries)
          end = batch.nextOffset
          continue
        }
      case .end: return
      case .incomplete(let position): failedAt = position
      case .corrupt(let position, let why):
        failedAt = position
        reason = why
      }
      do throws(Errno) {
        let why: BatchDecodeError
        if let reason { why = reason } else {
          why = try TailDamage.incompleteReason(fd: fd, path: path, fileSystem: fileSystem, at: failedAt, fileSize: logSize)
        }
        if isActive {
          let verdict = try TailDamage.classify(
            fd: fd, path: path, fileSystem: fileSystem, at: failedAt, fileSize: logSize, expected: expected,
            unsyncedFrom: PartitionLock.unsyncedFrom(folder: folder, fileSystem: fileSystem))
          if verdict == .torn, reason == nil || !Self.isRecordReason(why) {
            tornAt = failedAt
            return
          }
        }
        let intact = try TailDamage.firstIntactBatch(
          fd: fd, path: path, fileSystem: fileSystem, after: failedAt, fileSize: logSize, expected: expected)
        let highest = try Self.highestHeld(
          fd: fd, path: path, fileSystem: fileSystem, failedAt: failedAt, expected: expected, intact: intact,
          fileSize: logSize)
        failure = Failure(position: failedAt, expected: expected, reason: why, intact: intact, highestHeld: highest)
      } catch { throw .io(error, operation: "read", path: path) }
      return
    }
  }

  private static func isRecordReason(_ reason: BatchDecodeError) -> Bool {
    switch reason {
    case .malformedRecord, .undecodableRecords: true
    default: false
    }
  }

  /// Decodes every record of a batch whose CRC passed: a compressed one's records section
  /// first (the CRC covers the compressed bytes, so a faulty encoder's output passes it), then
  /// lengths, varints, and (CreateTime) a maxTimestamp that is the largest record timestamp.
  /// Decoded up to kq's bound for any batch (`largestDecompressedBytes`), whatever the topic's
  /// `max.message.bytes`.
  private static func checkRecords(_ batch: RecordBatchView, decoded: ByteBuffer) -> BatchDecodeError? {
    let plain: RecordBatchView
    do { plain = try batch.decompressed(into: decoded, maxMessageBytes: RecordBatchView.largestDecompressedBytes) } catch {
      return error
    }
    var largest = Int64.min
    do {
      try plain.forEachRecord { record in
        largest = max(largest, record.timestamp)
        return true
      }
    } catch let error as BatchDecodeError { return error } catch { return .malformedRecord(index: 0) }
    if !batch.isLogAppendTime && largest != batch.maxTimestamp && !(largest < 0 && batch.maxTimestamp < 0) {
      return .malformedRecord(index: Int(batch.recordCount) - 1)
    }
    return nil
  }

  /// The offset after the highest offset the damaged bytes from `failedAt` name: the failed
  /// batch's own header when its base is where it belongs, and every intact batch after it.
  private static func highestHeld(
    fd: CInt, path: String, fileSystem: FileSystem, failedAt: Int64, expected: Int64,
    intact: TailDamage.IntactBatch?, fileSize: Int64
  ) throws(Errno) -> Int64 {
    var highest = expected
    let header = ByteBuffer(capacity: BatchLayout.headerSize)
    if fileSize - failedAt >= Int64(BatchLayout.headerSize),
      try fileSystem.read(fd, into: header.base, count: BatchLayout.headerSize, at: failedAt, path: path)
        == BatchLayout.headerSize
    {
      let p = UnsafeRawPointer(header.base)
      let baseOffset = p.bigEndian(Int64.self, at: BatchLayout.baseOffset)
      let count = p.bigEndian(Int32.self, at: BatchLayout.recordCount)
      let delta = p.bigEndian(Int32.self, at: BatchLayout.lastOffsetDelta)
      if baseOffset == expected, count >= 1, delta == count &- 1, baseOffset <= Int64.max - Int64(count) {
        highest = max(highest, baseOffset + Int64(count))
      }
    }
    var next = intact
    var rounds = 0
    while let found = next, rounds < 1 << 16 {
      rounds += 1
      let reader = SegmentBatchReader(
        fd: fd, path: path, fileSystem: fileSystem, from: found.position, expecting: found.baseOffset, fileSize: fileSize,
        mapping: false)
      var stoppedAt: Int64?
      var after = found.baseOffset
      scanning: while true {
        switch try reader.next() {
        case .batch(let batch, _): after = batch.nextOffset
        case .end: break scanning
        case .incomplete(let at), .corrupt(let at, _):
          stoppedAt = at
          break scanning
        }
      }
      highest = max(highest, after)
      guard let stoppedAt else { break }
      next = try TailDamage.firstIntactBatch(
        fd: fd, path: path, fileSystem: fileSystem, after: stoppedAt, fileSize: fileSize, expected: after)
    }
    return highest
  }
}
