import Glibc

/// Offset and time lookups through a segment's sparse indexes (FORMAT.md, "Lookups").
/// A missing or damaged index is never trusted: the lookup falls back to the segment start.
package enum IndexLookup {
  /// A batch start at or before the batch holding `offset`, in the segment at `base` whose
  /// `.log` is open as `logFD`. The entry found is checked against the batch header it points
  /// at (its offset must lie in that batch), so a damaged entry costs a scan, never records.
  static func position(
    of offset: Int64, folder: String, base: Int64, logFD: CInt, logPath: String, logSize: Int64, fileSystem: FileSystem
  ) throws(Errno) -> Int64 {
    let path = FileNames.offsetIndexFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch { return 0 }
    defer { try? fileSystem.close(fd) }
    let size = try fileSystem.size(of: fd, path: path)
    let entries = Int(size) / OffsetIndex.entrySize
    guard entries > 0,
      let entry = try OffsetIndex.floor(offset, fd: fd, entries: entries, base: base, fileSystem: fileSystem, path: path),
      entry.position > 0, entry.position < logSize,
      let header = try BatchHeader.read(from: logFD, at: entry.position, fileSize: logSize, fileSystem: fileSystem, path: logPath),
      header.baseOffset <= entry.offset, entry.offset <= header.lastOffset
    else { return 0 }
    // The entry's batch ends at entry.offset, so a later `offset` lies after its start.
    return entry.position
  }

  /// The first offset whose record timestamp is at or after `timestamp`, or nil when every
  /// record is older.
  package static func offset(
    forTimestamp timestamp: Int64, folder: String, fileSystem: FileSystem
  ) throws(StorageError) -> Int64? {
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    for (index, base) in bases.enumerated() {
      let isActive = index == bases.count - 1
      if !isActive, let newest = SegmentFiles.maxTimestamp(folder: folder, base: base, fileSystem: fileSystem),
        newest < timestamp
      {
        continue
      }
      if let found = try search(timestamp, folder: folder, base: base, fileSystem: fileSystem) { return found }
    }
    return nil
  }

  private static func search(_ timestamp: Int64, folder: String, base: Int64, fileSystem: FileSystem)
    throws(StorageError) -> Int64?
  {
    let logPath = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(logPath, O_RDONLY) } catch {
      if error == .noSuchFile { return nil }
      throw .io(error, operation: "open", path: logPath)
    }
    defer { try? fileSystem.close(fd) }
    do {
      let size = try fileSystem.size(of: fd, path: logPath)
      var startOffset = base
      let timePath = FileNames.timeIndexFile(in: folder, base: base)
      if let tfd = try? fileSystem.open(timePath, O_RDONLY) {
        defer { try? fileSystem.close(tfd) }
        let entries = Int(try fileSystem.size(of: tfd, path: timePath)) / TimeIndex.entrySize
        if entries > 0,
          let entry = try TimeIndex.floor(timestamp, fd: tfd, entries: entries, base: base, fileSystem: fileSystem, path: timePath)
        {
          startOffset = entry.offset
        }
      }
      let start = try position(
        of: startOffset, folder: folder, base: base, logFD: fd, logPath: logPath, logSize: size, fileSystem: fileSystem)
      let reader = SegmentBatchReader(fd: fd, path: logPath, fileSystem: fileSystem, from: start, fileSize: size)
      while true {
        switch try reader.next() {
        case .batch(let batch, _):
          guard batch.maxTimestamp >= timestamp, !batch.isControl else { continue }
          var found: Int64?
          do {
            try batch.forEachRecord { record in
              if record.timestamp >= timestamp {
                found = record.offset
                return false
              }
              return true
            }
          } catch {
            throw StorageError.corruptBatch(
              file: logPath, position: reader.position - Int64(batch.size),
              reason: (error as? BatchDecodeError) ?? .malformedRecord(index: 0))
          }
          if let found { return found }
        case .end, .incomplete: return nil
        case .corrupt(let at, let reason): throw StorageError.corruptBatch(file: logPath, position: at, reason: reason)
        }
      }
    } catch let error as StorageError {
      throw error
    } catch let error as Errno {
      throw .io(error, operation: "read", path: logPath)
    } catch {
      throw .io(.io, operation: "read", path: logPath)
    }
  }
}

/// The end of a segment found from its last index entry: the last whole batch's next offset,
/// its largest timestamp, and where the whole batches end.
package struct TailScan: Equatable, Sendable {
  package var nextOffset: Int64
  package var lastMaxTimestamp: Int64?
  package var validEnd: Int64

  package static func scan(folder: String, base: Int64, fileSystem: FileSystem) throws(StorageError) -> TailScan {
    let path = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch {
      if error == .noSuchFile { return TailScan(nextOffset: base, lastMaxTimestamp: nil, validEnd: 0) }
      throw .io(error, operation: "open", path: path)
    }
    defer { try? fileSystem.close(fd) }
    do {
      let size = try fileSystem.size(of: fd, path: path)
      var position = try lastIndexedPosition(folder: folder, base: base, logSize: size, fileSystem: fileSystem)
      var result = TailScan(nextOffset: base, lastMaxTimestamp: nil, validEnd: 0)
      if position > 0, try BatchHeader.read(from: fd, at: position, fileSize: size, fileSystem: fileSystem, path: path) == nil {
        position = 0  // the index points at no batch: do not trust it
      }
      while let header = try BatchHeader.read(from: fd, at: position, fileSize: size, fileSystem: fileSystem, path: path) {
        if header.baseOffset < result.nextOffset && position > 0 { break }
        result.nextOffset = header.nextOffset
        result.lastMaxTimestamp = header.maxTimestamp
        position += Int64(header.size)
        result.validEnd = position
      }
      return result
    } catch { throw .io(error, operation: "read", path: path) }
  }

  private static func lastIndexedPosition(folder: String, base: Int64, logSize: Int64, fileSystem: FileSystem)
    throws(Errno) -> Int64
  {
    let path = FileNames.offsetIndexFile(in: folder, base: base)
    guard let fd = try? fileSystem.open(path, O_RDONLY) else { return 0 }
    defer { try? fileSystem.close(fd) }
    let entries = Int(try fileSystem.size(of: fd, path: path)) / OffsetIndex.entrySize
    guard entries > 0, let entry = try OffsetIndex.entry(entries - 1, fd: fd, base: base, fileSystem: fileSystem, path: path),
      entry.position > 0, entry.position < logSize
    else { return 0 }
    return entry.position
  }
}
