import KQLog
/// Retention: removing whole sealed segments by time and size (FORMAT.md, "Appending").
extension PartitionLog {
  /// Removes sealed segments past `retention.ms` or beyond `retention.bytes`, oldest first,
  /// never the active one. Returns the base offsets removed.
  @discardableResult
  package func enforceRetention() throws(StorageError) -> [Int64] {
    try lock.acquire()
    defer { lock.release() }
    _ = try refresh()
    return try enforceRetentionLocked(now: clock.nowMillis())
  }

  func enforceRetentionLocked(now: Int64) throws(StorageError) -> [Int64] {
    guard let active, config.cleanupPolicy.deletes, config.retentionMillis >= 0 || config.retentionBytes >= 0 else {
      return []
    }
    let sealed = try SegmentFiles.bases(in: folder, fileSystem: fileSystem).filter { $0 < active.base }
    guard !sealed.isEmpty else { return [] }
    var sizes: [Int64] = []
    for base in sealed { sizes.append(try SegmentFiles.logSize(folder: folder, base: base, fileSystem: fileSystem) ?? 0) }
    var total = sizes.reduce(active.state.size, +)
    var removed: [Int64] = []
    for (index, base) in sealed.enumerated() {
      var expired = false
      if config.retentionMillis >= 0,
        let newest = SegmentFiles.maxTimestamp(folder: folder, base: base, fileSystem: fileSystem),
        RecordTimestamp.span(from: newest, to: now) > config.retentionMillis
      {
        expired = true
      }
      if config.retentionBytes >= 0 && total - config.retentionBytes >= sizes[index] { expired = true }
      guard expired else { break }
      // Removals reach the disk oldest first: a power cut that kept this one and lost the one
      // before would leave an offset gap (a segment missing between two others).
      if !removed.isEmpty {
        do { try fileSystem.syncDirectory(folder) } catch { throw .io(error, operation: "fsync", path: folder) }
      }
      try SegmentFiles.remove(folder: folder, base: base, fileSystem: fileSystem)
      total -= sizes[index]
      removed.append(base)
    }
    if !removed.isEmpty { isDirectoryDirty = true }
    return removed
  }
}
