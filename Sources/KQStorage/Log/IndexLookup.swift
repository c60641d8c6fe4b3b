import Glibc
import KQLog

/// Offset and time lookups through a segment's sparse indexes (FORMAT.md, "Segments and
/// indexes"). Every entry is checked against the batch it points at before it is used; a
/// missing or damaged index is never trusted: the lookup starts at the segment's first batch,
/// which costs a scan, never records.
package enum IndexLookup {
  /// Where a read starts in a segment: a batch start, and the offset that batch begins at.
  package struct Start: Equatable, Sendable {
    package var position: Int64
    package var baseOffset: Int64
  }

  /// A batch start at or before the batch holding `offset`, in the segment at `base` whose
  /// `.log` is open as `logFD`. The entry found is checked against the batch header it points
  /// at (its offset must lie in that batch), so a damaged entry costs a scan, never records.
  static func start(
    of offset: Int64, folder: String, base: Int64, logFD: CInt, logPath: String, logSize: Int64, fileSystem: FileSystem
  ) throws(Errno) -> Start {
    let fromStart = Start(position: 0, baseOffset: base)
    let path = FileNames.offsetIndexFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch { return fromStart }
    defer { try? fileSystem.close(fd) }
    let entries = Int(try fileSystem.size(of: fd, path: path) / Int64(OffsetIndex.entrySize))
    guard entries > 0,
      let entry = try OffsetIndex.floor(offset, fd: fd, entries: entries, base: base, fileSystem: fileSystem, path: path),
      let start = try check(entry, base: base, logFD: logFD, logPath: logPath, logSize: logSize, fileSystem: fileSystem)
    else { return fromStart }
    // The entry's batch holds entry.offset, so a later `offset` lies after its start.
    return start
  }

  /// The batch an `.index` entry points at, when a batch starts there and holds its offset.
  static func check(
    _ entry: OffsetIndex.Entry, base: Int64, logFD: CInt, logPath: String, logSize: Int64, fileSystem: FileSystem
  ) throws(Errno) -> Start? {
    guard entry.position > 0, entry.position < logSize,
      let header = try BatchHeader.read(
        from: logFD, at: entry.position, fileSize: logSize, fileSystem: fileSystem, path: logPath, gapsAllowed: true),
      header.baseOffset > base, header.baseOffset <= entry.offset, entry.offset <= header.lastOffset
    else { return nil }
    return Start(position: entry.position, baseOffset: header.baseOffset)
  }

  /// Whether a `.timeindex` entry says what the log says: the batch ending at its offset
  /// carries its timestamp as maxTimestamp (FORMAT.md, "When entries are added").
  static func holds(
    _ entry: TimeIndex.Entry, folder: String, base: Int64, logFD: CInt, logPath: String, logSize: Int64,
    fileSystem: FileSystem
  ) throws(Errno) -> Bool {
    guard entry.offset >= base else { return false }
    let start = try start(
      of: entry.offset, folder: folder, base: base, logFD: logFD, logPath: logPath, logSize: logSize,
      fileSystem: fileSystem)
    var position = start.position
    var expected = start.baseOffset
    while let header = try BatchHeader.read(
      from: logFD, at: position, expecting: expected, fileSize: logSize, fileSystem: fileSystem, path: logPath,
      gapsAllowed: true)
    {
      if header.lastOffset >= entry.offset {
        return header.lastOffset == entry.offset && header.maxTimestamp == entry.timestamp
      }
      position += Int64(header.size)
      expected = header.nextOffset
    }
    return false
  }

  /// A sealed segment's largest timestamp from its last `.timeindex` entry, when that entry
  /// holds (as in `holds`): the headers from the entry's batch to the end of the segment are
  /// read too, so that an index cut short at an entry boundary (whose last entry holds, but is
  /// not the last one written) cannot understate it and make retention delete, or a time lookup
  /// pass over, younger records. Usually the entry's batch is the segment's last one. nil when
  /// the entry does not hold or the headers do not follow one another to the end of the file.
  static func largestTimestamp(
    from entry: TimeIndex.Entry, folder: String, base: Int64, logFD: CInt, logPath: String, logSize: Int64,
    fileSystem: FileSystem
  ) throws(Errno) -> Int64? {
    guard entry.offset >= base else { return nil }
    let start = try start(
      of: entry.offset, folder: folder, base: base, logFD: logFD, logPath: logPath, logSize: logSize,
      fileSystem: fileSystem)
    var position = start.position
    var expected = start.baseOffset
    var held = false
    var largest = entry.timestamp
    while let header = try BatchHeader.read(
      from: logFD, at: position, expecting: expected, fileSize: logSize, fileSystem: fileSystem, path: logPath)
    {
      if held {
        largest = max(largest, header.maxTimestamp)
      } else if header.lastOffset >= entry.offset {
        guard header.lastOffset == entry.offset && header.maxTimestamp == entry.timestamp else { return nil }
        held = true
      }
      position += Int64(header.size)
      expected = header.nextOffset
    }
    return held && position == logSize ? largest : nil
  }

  /// The first offset whose record timestamp is at or after `timestamp`, or nil when every
  /// record is older. `maxMessageBytes` bounds what a compressed batch may decode to.
  package static func offset(
    forTimestamp timestamp: Int64, folder: String, fileSystem: FileSystem,
    maxMessageBytes: Int = Int(TopicConfig().maxMessageBytes)
  ) throws(StorageError) -> Int64? {
    let decompressed = ByteBuffer(capacity: 0)
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    for (index, base) in bases.enumerated() {
      let isActive = index == bases.count - 1
      if !isActive, let newest = SegmentFiles.maxTimestamp(folder: folder, base: base, fileSystem: fileSystem),
        newest < timestamp
      {
        continue
      }
      if let found = try search(
        timestamp, folder: folder, base: base, isActive: isActive, fileSystem: fileSystem,
        decompressed: decompressed, maxMessageBytes: maxMessageBytes)
      {
        return found
      }
    }
    return nil
  }

  private static func search(
    _ timestamp: Int64, folder: String, base: Int64, isActive: Bool, fileSystem: FileSystem,
    decompressed: ByteBuffer, maxMessageBytes: Int
  ) throws(StorageError) -> Int64?
  {
    let logPath = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(logPath, O_RDONLY) } catch {
      if error == .noSuchFile { return nil }
      throw .io(error, operation: "open", path: logPath)
    }
    defer { try? fileSystem.close(fd) }
    let reader: SegmentBatchReader
    let size: Int64
    do {
      size = try fileSystem.size(of: fd, path: logPath)
      let start = try searchStart(timestamp, folder: folder, base: base, logFD: fd, logPath: logPath, logSize: size, fileSystem: fileSystem)
      reader = SegmentBatchReader(
        fd: fd, path: logPath, fileSystem: fileSystem, from: start.position, expecting: start.baseOffset, fileSize: size)
      reader.gapsAllowed = base < CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem)
    } catch { throw .io(error, operation: "read", path: logPath) }
    while true {
      let expected = reader.expectedOffset
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try reader.next() } catch { throw .io(error, operation: "read", path: logPath) }
      switch outcome {
      case .batch(let batch, let at):
        guard batch.maxTimestamp >= timestamp, !batch.isControl else { continue }
        var found: Int64?
        do {
          try batch.decompressed(into: decompressed, maxMessageBytes: maxMessageBytes).forEachRecord { record in
            if record.timestamp >= timestamp {
              found = record.offset
              return false
            }
            return true
          }
        } catch {
          throw .corruptBatch(file: logPath, position: at, reason: (error as? BatchDecodeError) ?? .malformedRecord(index: 0))
        }
        if let found { return found }
      case .end: return nil
      case .incomplete(let at), .corrupt(let at, _):
        var reason: BatchDecodeError?
        if case .corrupt(_, let why) = outcome { reason = why }
        try TailDamage.checkReaderTail(
          fd: fd, path: logPath, folder: folder, fileSystem: fileSystem, at: at, fileSize: size, expected: expected,
          isNewestSegment: isActive, reason: reason)
        return nil
      }
    }
  }

  /// Where the search for `timestamp` starts: the batch of the last `.timeindex` entry at or
  /// below it, when that entry holds (else the segment's first batch).
  private static func searchStart(
    _ timestamp: Int64, folder: String, base: Int64, logFD: CInt, logPath: String, logSize: Int64,
    fileSystem: FileSystem
  ) throws(Errno) -> Start {
    let timePath = FileNames.timeIndexFile(in: folder, base: base)
    guard let tfd = try? fileSystem.open(timePath, O_RDONLY) else { return Start(position: 0, baseOffset: base) }
    defer { try? fileSystem.close(tfd) }
    let entries = Int(try fileSystem.size(of: tfd, path: timePath) / Int64(TimeIndex.entrySize))
    guard entries > 0,
      let entry = try TimeIndex.floor(timestamp, fd: tfd, entries: entries, base: base, fileSystem: fileSystem, path: timePath),
      try holds(entry, folder: folder, base: base, logFD: logFD, logPath: logPath, logSize: logSize, fileSystem: fileSystem)
    else { return Start(position: 0, baseOffset: base) }
    return try start(
      of: entry.offset, folder: folder, base: base, logFD: logFD, logPath: logPath, logSize: logSize,
      fileSystem: fileSystem)
  }
}

/// The end of a segment found from its last index entry: the last whole batch's next offset,
/// its largest timestamp, and where the whole batches end.
package struct TailScan: Equatable, Sendable {
  package var nextOffset: Int64
  package var lastMaxTimestamp: Int64?
  package var validEnd: Int64

  /// Walks the headers of the newest segment at `base` from its last (checked) index entry.
  /// Headers that do not follow, or bytes that are not a whole batch, end the walk when they
  /// are what a crash or a writer still writing leaves (`TailDamage.checkReaderTail`); other
  /// damage throws `corruptBatch`, or with `pastDamage` is stepped over (to the next intact
  /// batch, else one offset on), so that a reader reading to the end reaches it, writes out
  /// the records before it, and then reports it.
  package static func scan(folder: String, base: Int64, fileSystem: FileSystem, pastDamage: Bool = false)
    throws(StorageError) -> TailScan
  {
    let path = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch {
      if error == .noSuchFile { return TailScan(nextOffset: base, lastMaxTimestamp: nil, validEnd: 0) }
      throw .io(error, operation: "open", path: path)
    }
    defer { try? fileSystem.close(fd) }
    var result = TailScan(nextOffset: base, lastMaxTimestamp: nil, validEnd: 0)
    let size: Int64
    do {
      size = try fileSystem.size(of: fd, path: path)
      let start = try lastIndexedStart(folder: folder, base: base, logFD: fd, logPath: path, logSize: size, fileSystem: fileSystem)
      result.nextOffset = start.baseOffset
      result.validEnd = start.position
    } catch { throw .io(error, operation: "read", path: path) }
    while true {
      do {
        while let header = try BatchHeader.read(
          from: fd, at: result.validEnd, expecting: result.nextOffset, fileSize: size, fileSystem: fileSystem, path: path)
        {
          result.nextOffset = header.nextOffset
          result.lastMaxTimestamp = header.maxTimestamp
          result.validEnd += Int64(header.size)
        }
      } catch { throw .io(error, operation: "read", path: path) }
      guard result.validEnd < size else { return result }
      do {
        try TailDamage.checkReaderTail(
          fd: fd, path: path, folder: folder, fileSystem: fileSystem, at: result.validEnd, fileSize: size,
          expected: result.nextOffset, isNewestSegment: true,
          reason: try headerFailure(
            fd: fd, path: path, at: result.validEnd, expected: result.nextOffset, fileSize: size, fileSystem: fileSystem))
        return result  // a torn tail, or a write in progress
      } catch {
        guard pastDamage else { throw error }
      }
      let intact: TailDamage.IntactBatch?
      do {
        intact = try TailDamage.firstIntactBatch(
          fd: fd, path: path, fileSystem: fileSystem, after: result.validEnd, fileSize: size, expected: result.nextOffset)
      } catch { throw .io(error, operation: "read", path: path) }
      guard let intact else {
        result.nextOffset = min(result.nextOffset, Int64.max - 1) + 1
        return result
      }
      result.validEnd = intact.position
      result.nextOffset = intact.baseOffset
    }
  }

  /// Why the header at `position` ended the walk (nil when it only runs past the end).
  private static func headerFailure(
    fd: CInt, path: String, at position: Int64, expected: Int64, fileSize: Int64, fileSystem: FileSystem
  ) throws(StorageError) -> BatchDecodeError? {
    guard fileSize - position >= Int64(BatchLayout.headerSize) else { return nil }
    let buffer = ByteBuffer(capacity: BatchLayout.headerSize)
    do {
      guard try fileSystem.read(fd, into: buffer.base, count: BatchLayout.headerSize, at: position, path: path)
        == BatchLayout.headerSize
      else { return nil }
    } catch { throw .io(error, operation: "read", path: path) }
    do { _ = try BatchHeader(checking: buffer.base, expected: expected) } catch { return error }
    return nil
  }

  private static func lastIndexedStart(
    folder: String, base: Int64, logFD: CInt, logPath: String, logSize: Int64, fileSystem: FileSystem
  ) throws(Errno) -> IndexLookup.Start {
    let fromStart = IndexLookup.Start(position: 0, baseOffset: base)
    let path = FileNames.offsetIndexFile(in: folder, base: base)
    guard let fd = try? fileSystem.open(path, O_RDONLY) else { return fromStart }
    defer { try? fileSystem.close(fd) }
    let entries = Int(try fileSystem.size(of: fd, path: path) / Int64(OffsetIndex.entrySize))
    guard entries > 0, let entry = try OffsetIndex.entry(entries - 1, fd: fd, base: base, fileSystem: fileSystem, path: path),
      let start = try IndexLookup.check(entry, base: base, logFD: logFD, logPath: logPath, logSize: logSize, fileSystem: fileSystem)
    else { return fromStart }
    return start
  }
}
