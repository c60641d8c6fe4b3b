import Glibc
import KQLog

/// `kq verify --repair` for one partition, under its append lock so that writers wait
/// (FORMAT.md, "Verifying and repairing"). Nothing is deleted: a damaged sealed segment is
/// moved whole to `TOPIC-N/damaged/`, the damaged rest of the active segment is copied there
/// before the log is cut; torn tails are cut, indexes rewritten from the log, and the gaps
/// left are listed in kq.unreadable. When the damaged bytes name offsets past the cut, a new
/// segment starts after them, so that no offset is given to two records.
struct PartitionRepair {
  let folder: String
  let topic: String
  let partition: Int
  let fileSystem: FileSystem
  var actions: [RepairAction] = []
  /// The offsets of cleaned segments moved aside, after an older segment: the gap they leave
  /// is partly compaction's, so the check does not list it; they are listed all the same, so
  /// that readers report them rather than pass over them as compaction's.
  var movedBelowCleanedEnd: [Range<Int64>] = []

  var damagedFolder: String { folder + "/damaged" }

  static func run(folder: String, topic: String, partition: Int, fileSystem: FileSystem) throws(StorageError)
    -> [RepairAction]
  {
    let lock = try PartitionLock(folder: folder, fileSystem: fileSystem)
    defer { lock.close() }
    try lock.acquire()
    defer { lock.release() }
    var repair = PartitionRepair(folder: folder, topic: topic, partition: partition, fileSystem: fileSystem)
    let before = try PartitionCheck.run(folder: folder, topic: topic, partition: partition, fileSystem: fileSystem) { _ in }
    // Synced records lost outside kq (the log ends before kq.lock's recovery point): their
    // offsets may be in a --print-offsets line or a group's commit, so writers continue past
    // them, and a torn tail there is kept aside like other damaged bytes.
    let syncedEnd = before.recoveryPoint.flatMap { $0 > before.logEnd ? $0 : nil }
    try repair.mendSegments(before, keepingTornTails: syncedEnd != nil)
    if let syncedEnd {
      let mended = try PartitionCheck.run(folder: folder, topic: topic, partition: partition, fileSystem: fileSystem) { _ in }
      if mended.logEnd < syncedEnd {
        // The newest segment is sealed by the new one: its .timeindex gets its final entry.
        if let last = mended.segments.last { try repair.rewriteIndexes(last, sealed: true, onlyWhenDifferent: true) }
        try repair.startSegment(syncedEnd)
      }
    }
    let after = try PartitionCheck.run(folder: folder, topic: topic, partition: partition, fileSystem: fileSystem) { _ in }
    let unreadable = UnreadableOffsets.joined(after.gaps + repair.movedBelowCleanedEnd)
    if after.listed != unreadable {
      try UnreadableOffsets.write(unreadable, folder: folder, fileSystem: fileSystem)
      repair.record(UnreadableOffsets.path(in: folder), .rewroteUnreadableList)
    }
    if before.checkpointIsBad || !repair.actions.isEmpty {
      lock.forgetCheckpoint()
      repair.record(lock.path, .resetCheckpoint)
    }
    do { try fileSystem.syncDirectory(folder) } catch { throw .io(error, operation: "fsync", path: folder) }
    return repair.actions
  }

  private mutating func record(_ file: String, _ kind: RepairAction.Kind) {
    actions.append(RepairAction(topic: topic, partition: partition, file: file, kind: kind))
  }

  private mutating func mendSegments(_ check: PartitionCheck, keepingTornTails: Bool) throws(StorageError) {
    for (index, segment) in check.segments.enumerated() {
      let isSealed = index < check.segments.count - 1
      if check.mustMoveAside(index) {
        let next = check.segments[index + 1].base
        try moveSegmentAside(segment.base, unreadable: segment.base..<next)
        if index > 0 && segment.base < check.cleanedEnd { movedBelowCleanedEnd.append(segment.base..<next) }
        continue
      }
      if !isSealed, let failure = segment.failure {
        try cutActive(segment, failure)
        continue
      }
      let log = FileNames.logFile(in: folder, base: segment.base)
      if let torn = segment.tornAt {
        if keepingTornTails {
          try moveTailAside(of: segment, from: torn, unreadable: nil)
        } else {
          try truncate(log, to: torn)
          record(log, .cutTornTail(bytes: segment.logSize - torn))
        }
      }
      try rewriteIndexes(segment, sealed: isSealed, onlyWhenDifferent: true)
    }
  }

  /// The damaged rest of the active segment: copied aside, then cut; writers continue past
  /// the highest offset it named.
  private mutating func cutActive(_ segment: SegmentCheck, _ failure: SegmentCheck.Failure) throws(StorageError) {
    let continueAt = max(failure.highestHeld, failure.expected)
    if failure.position == 0 {
      try moveSegmentAside(segment.base, unreadable: continueAt > segment.base ? segment.base..<continueAt : nil)
      try startSegment(max(continueAt, segment.base))
      return
    }
    // Offsets past the cut that the damage named: the segment is sealed, the next starts after them.
    let unreadable = continueAt > failure.expected ? failure.expected..<continueAt : nil
    try moveTailAside(of: segment, from: failure.position, unreadable: unreadable)
    try rewriteIndexes(segment, sealed: unreadable != nil, onlyWhenDifferent: false)
    if unreadable != nil { try startSegment(continueAt) }
  }

  /// Copies the segment's log from `position` to `damaged/BASE.log.from-POSITION` (fsynced),
  /// then cuts the log there.
  private mutating func moveTailAside(of segment: SegmentCheck, from position: Int64, unreadable: Range<Int64>?)
    throws(StorageError)
  {
    let log = FileNames.logFile(in: folder, base: segment.base)
    let side = try uniqueDamagedPath(FileNames.segmentBaseName(segment.base) + ".log.from-" + String(position))
    try copy(log, from: position, to: side)
    try truncate(log, to: position)
    record(log, .movedAside(movedTo: side, unreadable: unreadable))
  }

  mutating func startSegment(_ base: Int64) throws(StorageError) {
    for path in [
      FileNames.logFile(in: folder, base: base), FileNames.offsetIndexFile(in: folder, base: base),
      FileNames.timeIndexFile(in: folder, base: base),
    ] {
      do { try fileSystem.close(try fileSystem.open(path, O_WRONLY | O_CREAT | O_TRUNC)) } catch {
        throw .io(error, operation: "create", path: path)
      }
    }
    record(FileNames.logFile(in: folder, base: base), .startedSegment(base: base))
  }

  private mutating func moveSegmentAside(_ base: Int64, unreadable: Range<Int64>?) throws(StorageError) {
    try makeDamagedFolder()
    let log = FileNames.logFile(in: folder, base: base)
    for path in [log, FileNames.offsetIndexFile(in: folder, base: base), FileNames.timeIndexFile(in: folder, base: base)] {
      guard fileSystem.exists(path) else { continue }
      let name = String(path.split(separator: "/").last ?? "")
      let target = try uniqueDamagedPath(name)
      do { try fileSystem.rename(path, to: target) } catch { throw .io(error, operation: "rename", path: path) }
      if path == log { record(log, .movedAside(movedTo: target, unreadable: unreadable)) }
    }
    do { try fileSystem.syncDirectory(damagedFolder) } catch { throw .io(error, operation: "fsync", path: damagedFolder) }
  }

  mutating func rewriteIndexes(_ segment: SegmentCheck, sealed: Bool, onlyWhenDifferent: Bool) throws(StorageError) {
    for (path, onDisk, expected) in [
      (FileNames.offsetIndexFile(in: folder, base: segment.base), segment.indexOnDisk, segment.expectedIndex),
      (FileNames.timeIndexFile(in: folder, base: segment.base), segment.timeIndexOnDisk, segment.expectedTimeIndex(sealed: sealed)),
    ] where !onlyWhenDifferent || onDisk != expected {
      do { try fileSystem.replaceAtomically(path, with: expected, directory: folder, temporaryPath: path + ".tmp") } catch {
        throw .io(error, operation: "write", path: path)
      }
      record(path, .rebuiltIndex)
    }
  }

  private func makeDamagedFolder() throws(StorageError) {
    do { try fileSystem.makeDirectory(damagedFolder) } catch {
      if error != .exists { throw .io(error, operation: "mkdir", path: damagedFolder) }
    }
  }

  private func uniqueDamagedPath(_ name: String) throws(StorageError) -> String {
    try makeDamagedFolder()
    var candidate = damagedFolder + "/" + name
    var suffix = 1
    while fileSystem.exists(candidate) {
      candidate = damagedFolder + "/" + name + "." + String(suffix)
      suffix += 1
    }
    return candidate
  }

  private func truncate(_ path: String, to length: Int64) throws(StorageError) {
    do {
      let fd = try fileSystem.open(path, O_WRONLY)
      defer { try? fileSystem.close(fd) }
      try fileSystem.truncate(fd, to: length, path: path)
      try fileSystem.syncData(fd, path: path)
    } catch { throw .io(error, operation: "truncate", path: path) }
  }

  /// Copies `source` from `position` to its end into the new file `target`, durably.
  private func copy(_ source: String, from position: Int64, to target: String) throws(StorageError) {
    do {
      let input = try fileSystem.open(source, O_RDONLY)
      defer { try? fileSystem.close(input) }
      let output = try fileSystem.open(target, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
      defer { try? fileSystem.close(output) }
      let buffer = ByteBuffer(capacity: 1 << 20)
      var at = position
      var written: Int64 = 0
      while true {
        let got = try fileSystem.read(input, into: buffer.base, count: buffer.capacity, at: at, path: source)
        if got == 0 { break }
        try fileSystem.write(output, from: buffer.base, count: got, at: written, path: target)
        at += Int64(got)
        written += Int64(got)
      }
      try fileSystem.sync(output, path: target)
      try fileSystem.syncDirectory(damagedFolder)
    } catch { throw .io(error, operation: "copy", path: source) }
  }
}
