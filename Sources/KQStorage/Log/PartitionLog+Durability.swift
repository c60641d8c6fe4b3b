import Glibc

/// Making appends durable, and finding what a reboot may have lost (FORMAT.md, "Durability",
/// "Recovery").
extension PartitionLog {
  /// Makes everything appended so far durable: the data of every segment written, the indexes
  /// of sealed ones, and the folder when files were created or removed.
  package func sync() throws(StorageError) {
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
        try fileSystem.syncData(active.logFD, path: active.logPath)
      } catch { throw .io(error, operation: "fsync", path: active.logPath) }
      active.hasUnsyncedWrites = false
    }
    if isDirectoryDirty {
      do { try fileSystem.syncDirectory(folder) } catch {
        if error == .noSuchFile { try confirmAppended() }  // the topic was deleted meanwhile
        throw .io(error, operation: "fsync", path: folder)
      }
      isDirectoryDirty = false
    }
    try advanceRecoveryPoint()
  }

  /// Throws `topicDeleted` when the partition was deleted since this writer appended: what it
  /// appended went with it. `sync()` makes the same check when it moves the recovery point.
  package func confirmAppended() throws(StorageError) {
    try lock.acquire()
    lock.release()
  }

  /// Moves the recovery point up to this writer's active segment: segments between the old
  /// point and it may hold other writers' unsynced appends, so they are synced first.
  func advanceRecoveryPoint() throws(StorageError) {
    guard let active else { return }
    try lock.acquire()
    defer { lock.release() }
    var checkpoint = lock.readCheckpoint()
    guard active.base > checkpoint.recoveryBase, !checkpoint.bootID.isEmpty else { return }
    for base in try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    where base >= checkpoint.recoveryBase && base < active.base {
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
    checkpoint.recoveryBase = active.base
    lock.writeCheckpoint(checkpoint)
  }

  /// After a reboot, checks every sealed segment from the recovery point on (their unsynced
  /// pages may be lost or garbage). At the first damaged one, the segments after it are
  /// removed, as Kafka does, so that it becomes the active segment and is cut at the damage
  /// by the active segment's full check. Returns the bases that remain.
  func recoverSealedSegments(_ bases: [Int64], from recoveryBase: Int64) throws(StorageError) -> [Int64] {
    for (index, base) in bases.enumerated().dropLast() where base >= recoveryBase {
      if try SealedSegmentCheck.isIntact(folder: folder, base: base, nextBase: bases[index + 1], fileSystem: fileSystem) {
        continue
      }
      for later in bases[(index + 1)...] {
        let path = FileNames.logFile(in: folder, base: later)
        let size = try SegmentFiles.logSize(folder: folder, base: later, fileSystem: fileSystem) ?? 0
        try SegmentFiles.remove(folder: folder, base: later, fileSystem: fileSystem)
        recoveryReports.append(RecoveryReport(file: path, truncatedAt: 0, bytesRemoved: size, indexesRebuilt: false))
      }
      isDirectoryDirty = true
      return Array(bases[...index])
    }
    return bases
  }

}
