import Glibc
import KQLog

/// The writer's side of one partition: appends batches under the partition's append lock,
/// rolls segments, runs retention, makes writes durable. Many processes may hold a
/// `PartitionLog` for the same partition; the lock (`flock` on `kq.lock`) keeps offsets dense
/// and batches whole. Readers take no lock (see `PartitionReader`).
package final class PartitionLog {
  package let folder: String
  package let config: TopicConfig
  let fileSystem: FileSystem
  let clock: any WallClock
  let lock: PartitionLock
  var active: ActiveSegment?
  /// Sealed segments written by this process and not yet synced: (descriptor, path).
  var unsyncedSealed: [(CInt, String)] = []
  var isDirectoryDirty = false
  /// The first fsync that failed: once one has, this writer reports it from every `sync`.
  var syncFailure: StorageError?
  /// Set by `expectDurability()`: each append's bytes start on their way to the device at once.
  var startsWriteback = false
  private let offsetEntries = ByteBuffer(capacity: 1024)
  private let timeEntries = ByteBuffer(capacity: 1024)
  /// Set when this writer rolled a segment of a compacted topic: after the append, with the
  /// lock released, it checks whether compaction is due (`compactIfDue`).
  var isCompactionDue = false
  /// What recovery repaired when this writer first opened the partition.
  package internal(set) var recoveryReports: [RecoveryReport] = []

  package init(folder: String, config: TopicConfig, fileSystem: FileSystem, clock: any WallClock) throws(StorageError) {
    self.folder = folder
    self.config = config
    self.fileSystem = fileSystem
    self.clock = clock
    self.lock = try PartitionLock(folder: folder, fileSystem: fileSystem)
  }

  deinit { close() }

  package func close() {
    if let active { releasePreallocationOnClose(active) }
    active?.close()
    active = nil
    for (fd, _) in unsyncedSealed { try? fileSystem.close(fd) }
    unsyncedSealed = []
    lock.close()
  }

  /// The offsets an append assigned: `first` to the first record, densely onwards.
  /// Appends batches laid back to back in `batches` (as `BatchEncoder` makes them); stamps
  /// their base offsets in place. Either all bytes of a run of batches reach the file or the
  /// file is cut back to where it was. An append that spans segments writes one run per
  /// segment: when a later run fails, the earlier ones stay stored, and the error says how
  /// many records they hold (`appendStoppedPartway`), so nobody counts them as lost.
  @discardableResult
  package func append(_ batches: UnsafeMutableRawBufferPointer) throws(StorageError) -> AppendedRecords {
    defer {  // runs after the lock is released
      if isCompactionDue {
        isCompactionDue = false
        compactIfDue()
      }
    }
    try lock.acquire()
    defer { lock.release() }
    let segment = try refresh()
    let first = segment.state.nextOffset
    var stored = 0
    do {
      return try append(batches, to: segment, stored: &stored)
    } catch {
      guard stored > 0 else { throw error }
      throw .appendStoppedPartway(firstOffset: first, recordsStored: stored, cause: error)
    }
  }

  /// `append` under the lock; `stored` counts the records of the runs written so far.
  private func append(_ batches: UnsafeMutableRawBufferPointer, to segment: ActiveSegment, stored: inout Int)
    throws(StorageError) -> AppendedRecords
  {
    let first = segment.state.nextOffset
    var records = 0
    guard let start = batches.baseAddress else { return AppendedRecords(firstOffset: first, recordCount: 0) }
    try checkRoom(for: batches, in: segment)
    var current = segment
    var runStart = 0
    var runState = current.state
    var position = 0
    while position < batches.count {
      let batch = start + position
      guard batches.count - position >= BatchLayout.headerSize, let header = BatchHeader(at: batch),
        position + header.size <= batches.count
      else {
        throw .corruptBatch(file: "(append buffer)", position: Int64(position), reason: .invalidLength(0))
      }
      let count = Int64(header.recordCount)
      if needsRoll(current, incomingBytes: header.size, incomingMaxTimestamp: header.maxTimestamp, records: count) {
        try writeRun(current, from: start + runStart, count: position - runStart, restoring: runState)
        stored = records
        current = try roll(current)
        runStart = position
        runState = current.state
      }
      batch.storeBigEndian(current.state.nextOffset, at: BatchLayout.baseOffset)
      current.state.indexer.willAppend(
        position: current.state.size, size: header.size, lastOffset: current.state.nextOffset + count - 1,
        maxTimestamp: header.maxTimestamp, offsetEntries: offsetEntries, timeEntries: timeEntries)
      if current.state.firstBatchMaxTimestamp == nil { current.state.firstBatchMaxTimestamp = header.maxTimestamp }
      current.state.size += Int64(header.size)
      current.state.nextOffset += count
      records += Int(count)
      position += header.size
    }
    try writeRun(current, from: start + runStart, count: position - runStart, restoring: runState)
    return AppendedRecords(firstOffset: first, recordCount: records)
  }

  /// Offsets end at Int64.max: a log whose end is near it (a stray segment file named so)
  /// takes no more records, and says so before anything is written.
  private func checkRoom(for batches: UnsafeMutableRawBufferPointer, in segment: ActiveSegment) throws(StorageError) {
    guard let start = batches.baseAddress else { return }
    var records: Int64 = 0
    var position = 0
    while batches.count - position >= BatchLayout.headerSize, let header = BatchHeader(at: start + position) {
      records += Int64(header.recordCount)
      position += header.size
    }
    let next = segment.state.nextOffset
    guard next <= Int64.max - records else {
      throw .damagedLog(
        file: segment.logPath, position: segment.state.size,
        reason: .offsetOverflow(baseOffset: next, recordCount: Int32(clamping: records)), firstOffset: next,
        endOffset: nil)
    }
  }

  private func needsRoll(_ segment: ActiveSegment, incomingBytes: Int, incomingMaxTimestamp: Int64, records: Int64)
    -> Bool
  {
    let state = segment.state
    guard state.size > 0 else { return false }
    if state.size + Int64(incomingBytes) > config.segmentBytes { return true }
    // segment.ms counts between real timestamps; a batch without one (-1) starts no segment.
    if let first = state.firstBatchMaxTimestamp, first >= 0, incomingMaxTimestamp >= 0,
      RecordTimestamp.span(from: first, to: incomingMaxTimestamp) > config.segmentMillis
    {
      return true
    }
    if state.nextOffset - segment.base > Int64(Int32.max) - records { return true }
    return false
  }

  /// Writes one contiguous run of batches to the segment, then its index entries. On failure
  /// the files are cut back and the segment's state restored to `previous`.
  private func writeRun(_ segment: ActiveSegment, from bytes: UnsafeRawPointer, count: Int, restoring previous: ActiveSegment.State)
    throws(StorageError)
  {
    defer {
      offsetEntries.count = 0
      timeEntries.count = 0
    }
    guard count > 0 else { return }
    var path = segment.logPath
    preallocate(segment, for: count, at: previous.size)
    do {
      try fileSystem.write(segment.logFD, from: bytes, count: count, at: previous.size, path: path)
      if startsWriteback { startWriteback(segment, wrote: count, at: previous.size) }
      path = segment.indexPath
      if offsetEntries.count > 0 {
        try fileSystem.write(
          segment.indexFD, from: offsetEntries.base, count: offsetEntries.count,
          at: Int64(previous.indexEntries * OffsetIndex.entrySize), path: path)
      }
      path = segment.timeIndexPath
      if timeEntries.count > 0 {
        try fileSystem.write(
          segment.timeIndexFD, from: timeEntries.base, count: timeEntries.count,
          at: Int64(previous.timeIndexEntries * TimeIndex.entrySize), path: path)
      }
    } catch {
      try? fileSystem.truncate(segment.logFD, to: previous.size, path: segment.logPath)
      try? fileSystem.truncate(segment.indexFD, to: Int64(previous.indexEntries * OffsetIndex.entrySize), path: segment.indexPath)
      try? fileSystem.truncate(
        segment.timeIndexFD, to: Int64(previous.timeIndexEntries * TimeIndex.entrySize), path: segment.timeIndexPath)
      segment.state = previous
      throw .io(error, operation: "write", path: path)
    }
    segment.state.indexEntries += offsetEntries.count / OffsetIndex.entrySize
    segment.state.timeIndexEntries += timeEntries.count / TimeIndex.entrySize
    segment.hasUnsyncedWrites = true
  }

  /// Seals `segment` (its final time-index entry) and starts a new one at the log end.
  private func roll(_ segment: ActiveSegment) throws(StorageError) -> ActiveSegment {
    segment.state.indexer.appendTimeEntryIfGrown(into: timeEntries)
    if timeEntries.count > 0 {
      do {
        try fileSystem.write(
          segment.timeIndexFD, from: timeEntries.base, count: timeEntries.count,
          at: Int64(segment.state.timeIndexEntries * TimeIndex.entrySize), path: segment.timeIndexPath)
      } catch { throw .io(error, operation: "write", path: segment.timeIndexPath) }
      segment.state.timeIndexEntries += 1
      timeEntries.count = 0
    }
    // A power cut must never keep the next segment and lose this one's tail or name (a
    // sealed segment torn, or an offset gap): both are durable before the next one exists.
    try syncBeforeRoll(segment)
    releasePreallocation(segment)
    let next = try ActiveSegment.create(folder: folder, base: segment.state.nextOffset, fileSystem: fileSystem)
    if segment.hasUnsyncedWrites {
      // Index files of a sealed segment are synced by name at the next sync.
      unsyncedSealed.append((-1, segment.indexPath))
      unsyncedSealed.append((-1, segment.timeIndexPath))
    }
    segment.close()
    active = next
    isDirectoryDirty = true
    _ = try? enforceRetentionLocked(now: clock.nowMillis())
    if config.cleanupPolicy.compacts { isCompactionDue = true }
    return next
  }

  /// Brings this writer's view up to date under the lock: first open (with recovery), or
  /// another writer's appends or roll since this one last looked.
  func refresh() throws(StorageError) -> ActiveSegment {
    if let active {
      let info: stat
      do { info = try fileSystem.status(of: active.logFD, path: active.logPath) } catch {
        throw .io(error, operation: "stat", path: active.logPath)
      }
      // Another writer may have rolled past this segment and retention deleted it and those
      // after it: then its size is unchanged and the next name free, but it has no name left.
      if Int64(info.st_size) == active.state.size && info.st_nlink > 0
        && !fileSystem.exists(FileNames.logFile(in: folder, base: active.state.nextOffset))
      {
        return active
      }
      releasePreallocation(active)
      if active.hasUnsyncedWrites {
        // Keep its descriptor until the next sync, so our writes still get synced.
        if let fd = try? fileSystem.open(active.logPath, O_RDONLY) { unsyncedSealed.append((fd, active.logPath)) }
      }
      active.close()
      self.active = nil
    }
    return try openActive()
  }

  private func openActive() throws(StorageError) -> ActiveSegment {
    // A cleaner that died mid-swap: finish or roll back its replacement first (`SegmentSwap`).
    if try recoverSwaps() { isDirectoryDirty = true }
    var bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    let checkpoint = lock.readCheckpoint()
    let bootID = BootIdentity.current(fileSystem: fileSystem)
    // A checkpoint of another boot proves a reboot, and its recovery point says what was
    // synced before it; without a checkpoint, nothing is known, so everything is checked but
    // only what any crash leaves (a torn final batch) may be cut.
    let isSameBoot = checkpoint?.bootID == bootID
    let mode = ActiveSegment.RecoveryMode(
      fullCheck: !isSameBoot, unsyncedFrom: isSameBoot ? nil : checkpoint?.recoveryPoint,
      syncedBelow: checkpoint?.recoveryPoint)
    if !isSameBoot { try checkSealedSegments(bases, from: checkpoint?.recoveryPoint ?? 0) }
    if bases.isEmpty {
      if let synced = checkpoint?.recoveryPoint, synced > 0 {
        throw .syncedRecordsMissing(file: FileNames.logFile(in: folder, base: 0), logEnd: 0, recoveryPoint: synced)
      }
      let segment = try ActiveSegment.create(folder: folder, base: 0, fileSystem: fileSystem)
      isDirectoryDirty = true
      bases = [0]
      active = segment
    } else {
      let (segment, report) = try ActiveSegment.open(
        folder: folder, base: bases[bases.count - 1], fileSystem: fileSystem, mode: mode)
      // Synced records gone without a torn batch (the file cut at a batch's end): appending
      // here would give their offsets to new records.
      if let synced = checkpoint?.recoveryPoint, segment.state.nextOffset < synced {
        segment.close()
        throw .syncedRecordsMissing(file: segment.logPath, logEnd: segment.state.nextOffset, recoveryPoint: synced)
      }
      if let report { recoveryReports.append(report) }
      releaseLeftoverPreallocation(segment)
      active = segment
    }
    let now = clock.nowMillis()
    let last = checkpoint?.lastRetentionMillis ?? 0
    let (sinceRetention, overflow) = now.subtractingReportingOverflow(last)
    if !isSameBoot || overflow || sinceRetention >= 60_000 || sinceRetention < 0 {
      _ = try? enforceRetentionLocked(now: now)
      lock.writeCheckpoint(
        .init(bootID: bootID, lastRetentionMillis: max(0, now), recoveryPoint: checkpoint?.recoveryPoint ?? 0))
    }
    guard let active else { throw .io(.io, operation: "open", path: folder) }
    return active
  }

  /// The log end offset as this writer last saw it (after at least one append).
  package var knownEndOffset: Int64? { active?.state.nextOffset }
}
