import Glibc
import KQLog

/// Making appends durable, and finding what a reboot may have lost (FORMAT.md, "Durability",
/// "Recovery").
extension PartitionLog {
  /// Every append from now on will be synced before long (produce's `--sync exit`): each one's
  /// writeback starts as soon as it is written, so that the device writes while the producer
  /// encodes the next ones, and the sync waits only for the last (8 partitions of 12.5 MB:
  /// fdatasyncs of ~5.5 ms each at exit, 44 ms in all, mostly waiting for the device).
  package func expectDurability() { startsWriteback = true }

  /// Once 256 KiB or more were written since the last start (a bulk flush writes about 1 MiB a
  /// partition), their writeback starts; fewer bytes (a slow pipe's lines, appended one by one)
  /// wait for the next sync, which writes them together instead of a device write each.
  static let writebackBytes: Int64 = 256 << 10

  /// After a write of `count` bytes at `offset` of the segment's log (`startsWriteback` only).
  func startWriteback(_ segment: ActiveSegment, wrote count: Int, at offset: Int64) {
    let end = offset + Int64(count)
    let start = min(segment.writebackStart ?? offset, offset)
    guard end - start >= Self.writebackBytes else {
      segment.writebackStart = start
      return
    }
    fileSystem.startWriteback(segment.logFD, offset: start, count: Int(end - start))
    segment.writebackStart = nil
  }

  /// Makes everything appended so far durable: the data of every segment written, the indexes
  /// of sealed ones, and the folder when files were created or removed.
  package func sync() throws(StorageError) {
    // After a failed fsync the kernel may have dropped the dirty pages and will report the
    // next fsync as a success: nothing this writer appended can be proven durable any more.
    if let syncFailure { throw syncFailure }
    do throws(StorageError) { try syncUnguarded() } catch {
      if case .io(_, operation: "fsync", _) = error { syncFailure = error }
      throw error
    }
  }

  private func syncUnguarded() throws(StorageError) {
    for (fd, path) in unsyncedSealed {
      do {
        if fd >= 0 {
          try fileSystem.syncData(fd, path: path)
          try? fileSystem.close(fd)
        } else if fileSystem.exists(path) {
          let fd = try fileSystem.open(path, O_RDONLY)
          defer { try? fileSystem.close(fd) }
          try fileSystem.sync(fd, path: path)
        }
      } catch { throw .io(error, operation: "fsync", path: path) }
    }
    unsyncedSealed = []
    if let active, active.hasUnsyncedWrites {
      do {
        // The active segment's indexes are not synced: they are derived from the log, and
        // after a power loss (a new boot) the next writer rebuilds them from it.
        let end = active.state.nextOffset
        try fileSystem.syncData(active.logFD, path: active.logPath)
        active.syncedEnd = end
        active.writebackStart = nil
      } catch { throw .io(error, operation: "fsync", path: active.logPath) }
      active.hasUnsyncedWrites = false
    }
    if isDirectoryDirty || active?.isNameDurable == false {
      do { try fileSystem.syncDirectory(folder) } catch {
        if error == .noSuchFile { try confirmAppended() }  // the topic was deleted meanwhile
        throw .io(error, operation: "fsync", path: folder)
      }
      isDirectoryDirty = false
      active?.isNameDurable = true
    }
    try advanceRecoveryPoint()
  }

  /// Makes the active segment's data and the folder's names durable before a roll creates
  /// the next segment (FORMAT.md, "Durability"). A failure is kept: `sync` reports it from
  /// then on.
  func syncBeforeRoll(_ segment: ActiveSegment) throws(StorageError) {
    if let syncFailure { throw syncFailure }
    var path = segment.logPath
    do throws(Errno) {
      // Always: other writers may have appended to it without syncing.
      try fileSystem.syncData(segment.logFD, path: path)
      path = folder
      try fileSystem.syncDirectory(folder)
    } catch {
      let failure = StorageError.io(error, operation: "fsync", path: path)
      syncFailure = failure
      throw failure
    }
  }

  /// Throws `topicDeleted` when the partition was deleted since this writer appended: what it
  /// appended went with it. `sync()` makes the same check when it moves the recovery point.
  package func confirmAppended() throws(StorageError) {
    try lock.acquire()
    lock.release()
  }

  /// Moves the recovery point up to what this writer made durable: its active segment's base,
  /// or the end it synced in that segment. Segments between the old point and the active one
  /// may hold other writers' unsynced appends, so they are synced first.
  func advanceRecoveryPoint() throws(StorageError) {
    guard let active else { return }
    try lock.acquire()
    defer { lock.release() }
    guard var checkpoint = lock.readCheckpoint() else { return }
    let point = max(active.base, active.syncedEnd ?? active.base)
    guard point > checkpoint.recoveryPoint else { return }
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    let firstUnsynced = bases.last(where: { $0 <= checkpoint.recoveryPoint }) ?? 0
    for base in bases where base >= firstUnsynced && base < active.base {
      for path in [
        FileNames.logFile(in: folder, base: base), FileNames.offsetIndexFile(in: folder, base: base),
        FileNames.timeIndexFile(in: folder, base: base),
      ] where fileSystem.exists(path) {
        do {
          let fd = try fileSystem.open(path, O_RDONLY)
          defer { try? fileSystem.close(fd) }
          try fileSystem.syncData(fd, path: path)
        } catch { throw .io(error, operation: "fsync", path: path) }
      }
    }
    checkpoint.recoveryPoint = point
    lock.writeCheckpoint(checkpoint)
  }

  /// After a reboot (or with no checkpoint), checks every sealed segment from the one holding
  /// the recovery point on (their unsynced pages may be lost or garbage): every batch whole,
  /// its checks passed, offsets continuing up to the next segment's base. Sealed segments are
  /// never cut or removed: damage throws `damagedLog` (or `offsetGap`), and appends stop.
  func checkSealedSegments(_ bases: [Int64], from recoveryPoint: Int64) throws(StorageError) {
    let first = bases.last(where: { $0 <= recoveryPoint }) ?? 0
    for (index, base) in bases.enumerated().dropLast() where base >= first {
      try SealedSegmentCheck.check(folder: folder, base: base, nextBase: bases[index + 1], fileSystem: fileSystem)
    }
  }
}
