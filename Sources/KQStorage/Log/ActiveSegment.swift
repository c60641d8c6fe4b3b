import Glibc
import KQLog

/// The segment a writer appends to, with its open files and what the writer must know: size,
/// next offset, index state. Built under the partition's append lock by `open`, which also
/// recovers the segment: a torn or damaged tail is cut, missing or damaged indexes rebuilt.
final class ActiveSegment {
  struct State {
    var size: Int64
    var nextOffset: Int64
    var indexEntries: Int
    var timeIndexEntries: Int
    var indexer: SegmentIndexer
    /// maxTimestamp of the segment's first batch: segment.ms counts from it.
    var firstBatchMaxTimestamp: Int64?
  }

  let base: Int64
  let folder: String
  let logPath: String
  let indexPath: String
  let timeIndexPath: String
  let logFD: CInt
  let indexFD: CInt
  let timeIndexFD: CInt
  var state: State
  var hasUnsyncedWrites = false
  /// Where the blocks this writer reserved past the log's end end (`PartitionLog.preallocate`);
  /// 0 when it reserved none.
  var preallocatedEnd: Int64 = 0
  /// Whether this writer fsynced the folder since it opened the segment: until then the
  /// segment's name may not be durable (another writer may have created it and never synced).
  var isNameDurable = false
  /// The log end offset when this writer last synced the segment's `.log`: every record
  /// below it is durable.
  var syncedEnd: Int64?
  /// Where this writer's writes not yet handed to the device start (`startWriteback`); nil when
  /// there are none.
  var writebackStart: Int64?
  private let fileSystem: FileSystem

  private init(folder: String, base: Int64, fileSystem: FileSystem, createNew: Bool) throws(StorageError) {
    self.base = base
    self.folder = folder
    self.fileSystem = fileSystem
    logPath = FileNames.logFile(in: folder, base: base)
    indexPath = FileNames.offsetIndexFile(in: folder, base: base)
    timeIndexPath = FileNames.timeIndexFile(in: folder, base: base)
    let logFlags = O_RDWR | (createNew ? O_CREAT | O_EXCL : 0)
    do { logFD = try fileSystem.open(logPath, logFlags) } catch { throw .io(error, operation: "open", path: logPath) }
    var opened: [CInt] = [logFD]
    do {
      indexFD = try fileSystem.open(indexPath, O_RDWR | O_CREAT)
      opened.append(indexFD)
      timeIndexFD = try fileSystem.open(timeIndexPath, O_RDWR | O_CREAT)
    } catch {
      for fd in opened { try? fileSystem.close(fd) }
      throw .io(error, operation: "open", path: opened.count == 1 ? indexPath : timeIndexPath)
    }
    state = State(
      size: 0, nextOffset: base, indexEntries: 0, timeIndexEntries: 0, indexer: SegmentIndexer(base: base),
      firstBatchMaxTimestamp: nil)
  }

  /// Creates a new, empty segment at `base`.
  static func create(folder: String, base: Int64, fileSystem: FileSystem) throws(StorageError) -> ActiveSegment {
    let segment = try ActiveSegment(folder: folder, base: base, fileSystem: fileSystem, createNew: true)
    do {
      try fileSystem.truncate(segment.indexFD, to: 0, path: segment.indexPath)
      try fileSystem.truncate(segment.timeIndexFD, to: 0, path: segment.timeIndexPath)
    } catch {
      segment.close()
      throw .io(error, operation: "truncate", path: segment.indexPath)
    }
    return segment
  }

  /// How much a writer opening the partition checks, and what it may cut (FORMAT.md,
  /// "Recovery").
  struct RecoveryMode {
    /// Every batch is checked (after a reboot, or when kq.lock's checkpoint is unknown), not
    /// only those after the last index entry, which is where a killed writer can leave a
    /// torn tail.
    var fullCheck: Bool
    /// After a proven reboot, the recovery point: a whole final batch failing its checks at
    /// or past it may be cut (its later pages never reached the disk). nil otherwise.
    var unsyncedFrom: Int64?
    /// The recovery point of a checkpoint that parses, whatever the boot: every record below
    /// it was synced, so a tail torn below it is no unfinished write but synced records lost
    /// outside kq (`syncedRecordsMissing`), and nothing is cut. nil when unknown.
    var syncedBelow: Int64? = nil
  }

  /// Opens the existing segment at `base` and recovers it: a torn tail is cut and the indexes
  /// made right; any other damage throws `StorageError.damagedLog` and changes nothing.
  static func open(folder: String, base: Int64, fileSystem: FileSystem, mode: RecoveryMode) throws(StorageError)
    -> (ActiveSegment, RecoveryReport?)
  {
    let segment = try ActiveSegment(folder: folder, base: base, fileSystem: fileSystem, createNew: false)
    do {
      let report = try segment.recover(mode)
      return (segment, report)
    } catch {
      segment.close()
      throw error
    }
  }

  func close() {
    for fd in [logFD, indexFD, timeIndexFD] { try? fileSystem.close(fd) }
  }

  private func io(_ error: Errno, _ operation: String, _ path: String) -> StorageError {
    .io(error, operation: operation, path: path)
  }

  private func recover(_ mode: RecoveryMode) throws(StorageError) -> RecoveryReport? {
    let size: Int64
    let indexSize: Int64
    let timeIndexSize: Int64
    do {
      size = try fileSystem.size(of: logFD, path: logPath)
      indexSize = try fileSystem.size(of: indexFD, path: indexPath)
      timeIndexSize = try fileSystem.size(of: timeIndexFD, path: timeIndexPath)
    } catch { throw io(error, "stat", logPath) }
    if !mode.fullCheck, indexSize % Int64(OffsetIndex.entrySize) == 0, timeIndexSize % Int64(TimeIndex.entrySize) == 0,
      let report = try recoverTail(size: size, indexSize: indexSize, timeIndexSize: timeIndexSize, mode: mode)
    {
      return report.truncatedAt == nil ? nil : report
    }
    return try rebuild(size: size, mode: mode)
  }

  /// The fast path: trust the indexes up to their last entry (checked against the log) and
  /// check every batch after it. Returns nil when the indexes cannot be trusted.
  private func recoverTail(size: Int64, indexSize: Int64, timeIndexSize: Int64, mode: RecoveryMode)
    throws(StorageError) -> RecoveryReport?
  {
    let indexEntries = Int(indexSize / Int64(OffsetIndex.entrySize))
    let timeEntries = Int(timeIndexSize / Int64(TimeIndex.entrySize))
    var scanFrom: Int64 = 0
    var scanFromOffset = base
    var indexer = SegmentIndexer(base: base)
    do {
      if indexEntries > 0 {
        guard let last = try OffsetIndex.entry(indexEntries - 1, fd: indexFD, base: base, fileSystem: fileSystem, path: indexPath),
          last.position > 0, last.position < size,
          let header = try readHeader(at: last.position, size: size),
          header.baseOffset <= last.offset, last.offset <= header.lastOffset
        else { return nil }
        scanFrom = last.position
        scanFromOffset = header.baseOffset
        indexer.bytesSinceLastEntry = 0
      }
      // Both indexes get their entries at the same moments (a `.timeindex` entry never names
      // an offset past the `.index` entry written with it, and timestamps only grow): one
      // without the other, or entries that break this, mean a file was lost or damaged.
      if (indexEntries > 0) != (timeEntries > 0) { return nil }
      if timeEntries > 0 {
        guard let last = try TimeIndex.entry(timeEntries - 1, fd: timeIndexFD, base: base, fileSystem: fileSystem, path: timeIndexPath),
          let lastIndexed = try OffsetIndex.entry(indexEntries - 1, fd: indexFD, base: base, fileSystem: fileSystem, path: indexPath),
          last.offset >= base, last.offset <= lastIndexed.offset
        else { return nil }
        if timeEntries > 1 {
          guard let previous = try TimeIndex.entry(timeEntries - 2, fd: timeIndexFD, base: base, fileSystem: fileSystem, path: timeIndexPath),
            previous.timestamp < last.timestamp, previous.offset <= last.offset
          else { return nil }
        }
        // It also says what the log says: the batch ending at its offset carries its timestamp.
        guard try IndexLookup.holds(
          last, folder: folder, base: base, logFD: logFD, logPath: logPath, logSize: size, fileSystem: fileSystem)
        else { return nil }
        indexer.maxTimestamp = last.timestamp
        indexer.offsetOfMaxTimestamp = last.offset
        indexer.lastIndexedTimestamp = last.timestamp
      }
    } catch { throw io(error, "read", indexPath) }
    var nextOffset = scanFromOffset
    var isTrusted = true
    let end = try scanBatches(from: scanFrom, expecting: scanFromOffset, size: size) { batch, _ in
      // A batch that by Kafka's rule should have had an `.index` entry (the index lost its
      // tail): the indexes cannot be trusted.
      if indexer.bytesSinceLastEntry > OffsetIndex.intervalBytes {
        isTrusted = false
        return .stop
      }
      if batch.maxTimestamp > indexer.maxTimestamp {
        indexer.maxTimestamp = batch.maxTimestamp
        indexer.offsetOfMaxTimestamp = batch.lastOffset
      }
      nextOffset = batch.nextOffset
      indexer.bytesSinceLastEntry += Int64(batch.size)
      return .next
    }
    guard isTrusted else { return nil }
    var cut: Int64?
    if case .failed(let failure) = end {
      // A failure inside what the indexes cover means they must be rebuilt; rebuild handles it.
      if failure.position <= scanFrom && indexEntries > 0 { return nil }
      cut = try tornTail(failure, size: size, mode: mode)
    }
    if let cut {
      if indexer.offsetOfMaxTimestamp >= nextOffset { return nil }
      do { try fileSystem.truncate(logFD, to: cut, path: logPath) } catch { throw io(error, "truncate", logPath) }
    } else if indexer.offsetOfMaxTimestamp >= nextOffset && timeEntries > 0 {
      return nil
    }
    let finalSize = cut ?? size
    state = State(
      size: finalSize, nextOffset: nextOffset, indexEntries: indexEntries, timeIndexEntries: timeEntries,
      indexer: indexer, firstBatchMaxTimestamp: try firstBatchMaxTimestamp(size: finalSize))
    if indexEntries == 0 { state.indexer.bytesSinceLastEntry = finalSize }
    return RecoveryReport(file: logPath, truncatedAt: cut, bytesRemoved: size - finalSize, indexesRebuilt: false)
  }

  /// The slow path: check every batch from the start, cut a torn tail, and write both
  /// indexes anew. Damage throws before anything is written.
  private func rebuild(size: Int64, mode: RecoveryMode) throws(StorageError) -> RecoveryReport {
    var indexer = SegmentIndexer(base: base)
    let offsetEntries = ByteBuffer(capacity: 4096)
    let timeEntries = ByteBuffer(capacity: 4096)
    var nextOffset = base
    let end = try scanBatches(from: 0, expecting: base, size: size) { batch, position in
      indexer.willAppend(
        position: position, size: batch.size, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp,
        offsetEntries: offsetEntries, timeEntries: timeEntries)
      nextOffset = batch.nextOffset
      return .next
    }
    var cut: Int64?
    if case .failed(let failure) = end { cut = try tornTail(failure, size: size, mode: mode) }
    do {
      if let cut { try fileSystem.truncate(logFD, to: cut, path: logPath) }
      try replace(indexFD, indexPath, with: offsetEntries)
      try replace(timeIndexFD, timeIndexPath, with: timeEntries)
    } catch { throw io(error, "write", logPath) }
    let finalSize = cut ?? size
    state = State(
      size: finalSize, nextOffset: nextOffset, indexEntries: offsetEntries.count / OffsetIndex.entrySize,
      timeIndexEntries: timeEntries.count / TimeIndex.entrySize, indexer: indexer,
      firstBatchMaxTimestamp: try firstBatchMaxTimestamp(size: finalSize))
    hasUnsyncedWrites = true
    return RecoveryReport(file: logPath, truncatedAt: cut, bytesRemoved: size - finalSize, indexesRebuilt: true)
  }

  enum ScanStep { case next, stop }

  /// The first batch of a scan that failed its checks, and the offset it should start at.
  struct ScanFailure {
    var position: Int64
    var expected: Int64
    var reason: BatchDecodeError
  }

  enum ScanEnd {
    /// The end of the file, or `body` stopped the scan.
    case clean
    case failed(ScanFailure)
  }

  /// Reads checked batches (`BatchCheck`: length, magic, CRC, offsets following `expecting`)
  /// from `position` to the end of the log, handing each with its position to `body`; stops
  /// at the first batch that fails.
  private func scanBatches(
    from position: Int64, expecting: Int64, size: Int64, _ body: (RecordBatchView, Int64) -> ScanStep
  ) throws(StorageError) -> ScanEnd {
    let reader = SegmentBatchReader(
      fd: logFD, path: logPath, fileSystem: fileSystem, from: position, expecting: expecting, fileSize: size)
    while true {
      let expected = reader.expectedOffset ?? expecting
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try reader.next() } catch { throw io(error, "read", logPath) }
      switch outcome {
      case .batch(let batch, let at):
        switch body(batch, at) {
        case .next: continue
        case .stop: return .clean
        }
      case .end: return .clean
      case .incomplete(let at):
        let reason: BatchDecodeError
        do { reason = try TailDamage.incompleteReason(fd: logFD, path: logPath, fileSystem: fileSystem, at: at, fileSize: size) }
        catch { throw io(error, "read", logPath) }
        return .failed(ScanFailure(position: at, expected: expected, reason: reason))
      case .corrupt(let at, let reason): return .failed(ScanFailure(position: at, expected: expected, reason: reason))
      }
    }
  }

  /// Where to cut the log when the failed batch begins a torn tail; damage throws
  /// `damagedLog`, naming the file, byte and offsets, and nothing is changed.
  private func tornTail(_ failure: ScanFailure, size: Int64, mode: RecoveryMode) throws(StorageError) -> Int64 {
    let verdict: TailDamage.Verdict
    do {
      verdict = try TailDamage.classify(
        fd: logFD, path: logPath, fileSystem: fileSystem, at: failure.position, fileSize: size,
        expected: failure.expected, unsyncedFrom: mode.unsyncedFrom)
    } catch { throw io(error, "read", logPath) }
    guard case .damaged(let intact) = verdict else {
      if let synced = mode.syncedBelow, failure.expected < synced {
        throw .syncedRecordsMissing(file: logPath, logEnd: failure.expected, recoveryPoint: synced)
      }
      return failure.position
    }
    throw .damagedLog(
      file: logPath, position: failure.position, reason: failure.reason, firstOffset: failure.expected,
      endOffset: intact?.baseOffset)
  }

  private func replace(_ fd: CInt, _ path: String, with entries: ByteBuffer) throws(Errno) {
    try fileSystem.truncate(fd, to: 0, path: path)
    if entries.count > 0 { try fileSystem.write(fd, from: entries.base, count: entries.count, at: 0, path: path) }
  }

  private func readHeader(at position: Int64, size: Int64) throws(Errno) -> BatchHeader? {
    try BatchHeader.read(from: logFD, at: position, fileSize: size, fileSystem: fileSystem, path: logPath)
  }

  private func firstBatchMaxTimestamp(size: Int64) throws(StorageError) -> Int64? {
    guard size >= Int64(BatchLayout.headerSize) else { return nil }
    do { return try readHeader(at: 0, size: size)?.maxTimestamp } catch { throw io(error, "read", logPath) }
  }
}

