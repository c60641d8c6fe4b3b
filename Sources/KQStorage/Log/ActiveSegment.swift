import Glibc

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
  let logPath: String
  let indexPath: String
  let timeIndexPath: String
  let logFD: CInt
  let indexFD: CInt
  let timeIndexFD: CInt
  var state: State
  var hasUnsyncedWrites = false
  private let fileSystem: FileSystem

  private init(folder: String, base: Int64, fileSystem: FileSystem, createNew: Bool) throws(StorageError) {
    self.base = base
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

  /// Opens the existing segment at `base` and recovers it. With `fullCheck` (after a reboot,
  /// when unsynced pages may be lost) every batch is checked; otherwise only those after the
  /// last index entry, which is where a killed writer can leave a torn tail.
  static func open(folder: String, base: Int64, fileSystem: FileSystem, fullCheck: Bool) throws(StorageError)
    -> (ActiveSegment, RecoveryReport?)
  {
    let segment = try ActiveSegment(folder: folder, base: base, fileSystem: fileSystem, createNew: false)
    do {
      let report = try segment.recover(fullCheck: fullCheck)
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

  private func recover(fullCheck: Bool) throws(StorageError) -> RecoveryReport? {
    let size: Int64
    let indexSize: Int64
    let timeIndexSize: Int64
    do {
      size = try fileSystem.size(of: logFD, path: logPath)
      indexSize = try fileSystem.size(of: indexFD, path: indexPath)
      timeIndexSize = try fileSystem.size(of: timeIndexFD, path: timeIndexPath)
    } catch { throw io(error, "stat", logPath) }
    if !fullCheck, indexSize % Int64(OffsetIndex.entrySize) == 0, timeIndexSize % Int64(TimeIndex.entrySize) == 0,
      let report = try recoverTail(size: size, indexSize: indexSize, timeIndexSize: timeIndexSize)
    {
      return report.truncatedAt == nil ? nil : report
    }
    return try rebuild(size: size)
  }

  /// The fast path: trust the indexes up to their last entry (checked against the log) and
  /// check every batch after it. Returns nil when the indexes cannot be trusted.
  private func recoverTail(size: Int64, indexSize: Int64, timeIndexSize: Int64) throws(StorageError)
    -> RecoveryReport?
  {
    let indexEntries = Int(indexSize) / OffsetIndex.entrySize
    let timeEntries = Int(timeIndexSize) / TimeIndex.entrySize
    var scanFrom: Int64 = 0
    var indexer = SegmentIndexer(base: base)
    do {
      if indexEntries > 0 {
        guard let last = try OffsetIndex.entry(indexEntries - 1, fd: indexFD, base: base, fileSystem: fileSystem, path: indexPath),
          last.position > 0, last.position < size,
          let header = try readHeader(at: last.position, size: size),
          header.baseOffset <= last.offset, last.offset <= header.lastOffset
        else { return nil }
        scanFrom = last.position
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
        indexer.maxTimestamp = last.timestamp
        indexer.offsetOfMaxTimestamp = last.offset
        indexer.lastIndexedTimestamp = last.timestamp
      }
    } catch { throw io(error, "read", indexPath) }
    var nextOffset = base
    var isTrusted = true
    let cut = try scanBatches(from: scanFrom, size: size) { batch, _ in
      // An offset going back, or a batch that by Kafka's rule should have had an `.index`
      // entry (the index lost its tail): the indexes cannot be trusted.
      if (batch.baseOffset < nextOffset && scanFrom == 0) || indexer.bytesSinceLastEntry > OffsetIndex.intervalBytes {
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
    if let cut {
      // A cut inside what the indexes cover means they must be rebuilt; rebuild handles it.
      if cut <= scanFrom && indexEntries > 0 { return nil }
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

  /// The slow path: check every batch from the start, cut at the first bad one, and write
  /// both indexes anew.
  private func rebuild(size: Int64) throws(StorageError) -> RecoveryReport {
    var indexer = SegmentIndexer(base: base)
    let offsetEntries = ByteBuffer(capacity: 4096)
    let timeEntries = ByteBuffer(capacity: 4096)
    var nextOffset = base
    let cut = try scanBatches(from: 0, size: size) { batch, position in
      if batch.baseOffset != nextOffset && position > 0 { return .cut }
      indexer.willAppend(
        position: position, size: batch.size, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp,
        offsetEntries: offsetEntries, timeEntries: timeEntries)
      nextOffset = batch.nextOffset
      return .next
    }
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

  enum ScanStep { case next, stop, cut }

  /// Reads checked batches (length, magic, CRC) from `position` to the end of the log, handing
  /// each with its position to `body`; returns where the log must be cut: the first torn or
  /// damaged batch, or one `body` rejects. nil when the scan ended cleanly or `body` stopped it.
  private func scanBatches(
    from position: Int64, size: Int64, _ body: (RecordBatchView, Int64) -> ScanStep
  ) throws(StorageError) -> Int64? {
    let reader = SegmentBatchReader(fd: logFD, path: logPath, fileSystem: fileSystem, from: position, fileSize: size)
    while true {
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try reader.next() } catch { throw io(error, "read", logPath) }
      switch outcome {
      case .batch(let batch, let at):
        switch body(batch, at) {
        case .next: continue
        case .stop: return nil
        case .cut: return at
        }
      case .end: return nil
      case .incomplete(let at), .corrupt(let at, _): return at
      }
    }
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

