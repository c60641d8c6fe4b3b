import Glibc
import KQLog

/// Lists and inspects the segment files of a partition folder without opening them for write.
package enum SegmentFiles {
  /// Base offsets of the `.log` files in `folder`, ascending: every segment that existed when
  /// the first of two listings ended and still exists (`listDirectoryCompletely`), and perhaps
  /// newer ones. Segments are created in offset order, so the oldest segments listed, and the
  /// smallest base above any offset, are right even while writers roll; but a caller that
  /// knows which segment must come next opens it by name instead (see `PartitionReader`).
  package static func bases(in folder: String, fileSystem: FileSystem) throws(StorageError) -> [Int64] {
    let names: [String]
    do { names = try fileSystem.listDirectoryCompletely(folder) } catch {
      throw .io(error, operation: "list", path: folder)
    }
    let bases = names.compactMap { FileNames.segmentBase(ofFileName: $0) }.sorted()
    // Old segments a cleaned one has replaced, not yet removed (`SegmentSwap`), are hidden.
    let replaced = SegmentSwap.replacedBases(in: names)
    return replaced.isEmpty ? bases : bases.filter { base in !replaced.contains { $0.contains(base) } }
  }

  /// Whether the segment at `base` is an old one a cleaned segment has replaced, not yet
  /// removed (`SegmentSwap`, between steps 3 and 5): the listing hides it.
  package static func isBeingReplaced(_ base: Int64, folder: String, fileSystem: FileSystem) throws(StorageError) -> Bool {
    let names: [String]
    do { names = try fileSystem.listDirectoryCompletely(folder) } catch {
      throw .io(error, operation: "list", path: folder)
    }
    return SegmentSwap.replacedBases(in: names).contains { $0.contains(base) }
  }

  /// Size of a segment's `.log`, or nil when it is gone (removed by retention).
  package static func logSize(folder: String, base: Int64, fileSystem: FileSystem) throws(StorageError) -> Int64? {
    let path = FileNames.logFile(in: folder, base: base)
    do { return try fileSystem.status(path).map { Int64($0.st_size) } } catch {
      throw .io(error, operation: "stat", path: path)
    }
  }

  /// The largest timestamp of a sealed segment: the last `.timeindex` entry (sealing always
  /// writes one) when the batch it names carries it (`IndexLookup.holds`); when it does not,
  /// the largest maxTimestamp of the segment's batch headers; with neither, or when that is -1
  /// (records without timestamps), the `.log` file's modification time, as Kafka does. nil
  /// when none can be told.
  package static func maxTimestamp(folder: String, base: Int64, fileSystem: FileSystem) -> Int64? {
    let logPath = FileNames.logFile(in: folder, base: base)
    let path = FileNames.timeIndexFile(in: folder, base: base)
    if let fd = try? fileSystem.open(path, O_RDONLY) {
      defer { try? fileSystem.close(fd) }
      if let size = try? fileSystem.size(of: fd, path: path), size >= Int64(TimeIndex.entrySize),
        let entry = try? TimeIndex.entry(
          Int(size / Int64(TimeIndex.entrySize)) - 1, fd: fd, base: base, fileSystem: fileSystem, path: path),
        let logFD = try? fileSystem.open(logPath, O_RDONLY)
      {
        defer { try? fileSystem.close(logFD) }
        guard let logSize = try? fileSystem.size(of: logFD, path: logPath) else { return nil }
        let stored: Int64?
        if let largest = try? IndexLookup.largestTimestamp(
          from: entry, folder: folder, base: base, logFD: logFD, logPath: logPath, logSize: logSize, fileSystem: fileSystem)
        {
          stored = largest
        } else {
          stored = try? largestHeaderTimestamp(logFD: logFD, path: logPath, base: base, size: logSize, fileSystem: fileSystem)
        }
        if let stored, stored >= 0 { return stored }
      }
    }
    guard let info = try? fileSystem.status(logPath) else { return nil }
    let (millis, overflow) = Int64(info.st_mtim.tv_sec).multipliedReportingOverflow(by: 1000)
    return overflow ? nil : millis &+ Int64(info.st_mtim.tv_nsec / 1_000_000)
  }

  /// The largest maxTimestamp of a segment's batches, from their headers; nil when the
  /// headers do not follow one another to the end of the file.
  private static func largestHeaderTimestamp(logFD: CInt, path: String, base: Int64, size: Int64, fileSystem: FileSystem)
    throws(Errno) -> Int64?
  {
    var position: Int64 = 0
    var expected = base
    var largest: Int64?
    while let header = try BatchHeader.read(
      from: logFD, at: position, expecting: expected, fileSize: size, fileSystem: fileSystem, path: path,
      gapsAllowed: true)
    {
      largest = max(largest ?? header.maxTimestamp, header.maxTimestamp)
      position += Int64(header.size)
      expected = header.nextOffset
    }
    return position == size ? largest : nil
  }

  /// Removes a segment's files, `.log` first so readers never find a log without its data.
  package static func remove(folder: String, base: Int64, fileSystem: FileSystem) throws(StorageError) {
    for path in [
      FileNames.logFile(in: folder, base: base), FileNames.offsetIndexFile(in: folder, base: base),
      FileNames.timeIndexFile(in: folder, base: base),
    ] {
      do { try fileSystem.unlink(path) } catch {
        if error != .noSuchFile { throw .io(error, operation: "unlink", path: path) }
      }
    }
  }
}

/// What recovery found and repaired in a partition.
package struct RecoveryReport: Equatable, Sendable {
  package var file: String
  /// Where the log was cut; the bytes from here on were a torn or damaged tail.
  package var truncatedAt: Int64?
  package var bytesRemoved: Int64
  package var indexesRebuilt: Bool
}
