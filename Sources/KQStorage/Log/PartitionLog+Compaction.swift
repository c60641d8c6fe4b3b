import Glibc
import KQLog

/// Compaction of a `cleanup.policy=compact` partition (FORMAT.md, "Compaction").
extension PartitionLog {
  /// Compacts the sealed segments now (`kq topic compact`), whatever the dirty ratio. Waits
  /// for another process compacting the partition to finish first.
  package func compact() throws(StorageError) -> CompactionReport {
    try compact(onlyIfDue: false, wait: true) ?? CompactionReport()
  }

  /// The check made after a roll: compacts when the dirty ratio (or `max.compaction.lag.ms`)
  /// says so, unless another process is compacting already. Errors are left to readers and
  /// `kq topic compact` to report.
  func compactIfDue() {
    guard config.cleanupPolicy.compacts else { return }
    _ = try? compact(onlyIfDue: true, wait: false)
  }

  private func compact(onlyIfDue: Bool, wait: Bool) throws(StorageError) -> CompactionReport? {
    let lockPath = FileNames.cleanerLock(in: folder)
    let lockFD: CInt
    do { lockFD = try fileSystem.open(lockPath, O_RDWR | O_CREAT, mode: 0o600) } catch {
      if error == .noSuchFile { throw .topicDeleted(FileNames.topic(ofPartitionFolder: folder)) }
      throw .io(error, operation: "open", path: lockPath)
    }
    defer { try? fileSystem.close(lockFD) }
    do { guard try fileSystem.lock(lockFD, nonBlocking: !wait, path: lockPath) else { return nil } } catch {
      throw .io(error, operation: "flock", path: lockPath)
    }
    defer { fileSystem.unlock(lockFD) }

    let now = clock.nowMillis()
    let cleaner = LogCleaner(folder: folder, config: config, fileSystem: fileSystem, maxMessageBytes: config.maxBatchBytes)
    var report = CompactionReport()
    try lock.acquire()
    let inputs: [LogCleaner.Input]
    let cleanedEnd: Int64
    do {
      _ = try refresh()
      try SegmentSwap.recover(folder: folder, fileSystem: fileSystem, removingCleaned: true)
      let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
      (report.segmentsBefore, report.bytesBefore) = try footprint(bases)
      cleanedEnd = CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem)
      inputs = try cleaner.cleanable(bases: bases, nowMillis: now)
    } catch {
      lock.release()
      throw error
    }
    lock.release()
    report.segmentsAfter = report.segmentsBefore
    report.bytesAfter = report.bytesBefore
    report.cleanedEnd = cleanedEnd
    guard !inputs.isEmpty else { return report }
    if onlyIfDue && !cleaner.isDue(inputs, cleanedEnd: cleanedEnd, nowMillis: now) { return nil }

    let map = try cleaner.buildKeyMap(inputs, cleanedEnd: cleanedEnd)
    let outputs = try cleaner.writeCleaned(inputs, map: map, cleanedEnd: cleanedEnd, nowMillis: now)
    guard let last = outputs.last else { return report }

    try lock.acquire()
    defer { lock.release() }
    // Retention (or a repair) may have removed or moved segments meanwhile: then nothing is swapped.
    for input in inputs {
      let path = FileNames.logFile(in: folder, base: input.base)
      let now: FileIdentity?
      do { now = try fileSystem.identity(at: path) } catch { throw .io(error, operation: "stat", path: path) }
      guard now == input.identity else {
        for output in outputs { cleaner.discard(output) }
        return report
      }
    }
    try CleanerCheckpoint.raise(to: last.end, folder: folder, fileSystem: fileSystem)
    for output in outputs {
      try SegmentSwap.replace(base: output.base, end: output.end, folder: folder, fileSystem: fileSystem)
    }
    isDirectoryDirty = true
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    (report.segmentsAfter, report.bytesAfter) = try footprint(bases)
    report.cleanedEnd = max(cleanedEnd, last.end)
    report.didClean = true
    return report
  }

  /// `SegmentSwap.recover` for a writer opening the partition: `.cleaned` files go only when
  /// no cleaner is running (its lock is free).
  func recoverSwaps() throws(StorageError) -> Bool {
    let lockPath = FileNames.cleanerLock(in: folder)
    // No lock file: no cleaner ever ran here (it creates the file before writing anything).
    guard let lockFD = try? fileSystem.open(lockPath, O_RDWR) else {
      return try SegmentSwap.recover(folder: folder, fileSystem: fileSystem, removingCleaned: false)
    }
    defer { try? fileSystem.close(lockFD) }
    let isIdle = (try? fileSystem.lock(lockFD, nonBlocking: true, path: lockPath)) == true
    defer { if isIdle { fileSystem.unlock(lockFD) } }
    return try SegmentSwap.recover(folder: folder, fileSystem: fileSystem, removingCleaned: isIdle)
  }

  private func footprint(_ bases: [Int64]) throws(StorageError) -> (Int, Int64) {
    var bytes: Int64 = 0
    for base in bases { bytes += try SegmentFiles.logSize(folder: folder, base: base, fileSystem: fileSystem) ?? 0 }
    return (bases.count, bytes)
  }
}
