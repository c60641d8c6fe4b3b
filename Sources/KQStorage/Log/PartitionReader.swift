import Glibc

/// Reads one partition forward from any offset, in bounded memory, without taking locks:
/// it never blocks writers and never returns a partial batch (a batch counts once the file
/// holds all of it). A batch failing its checks in a sealed segment, or before the end of
/// the active one, is reported as `StorageError.corruptBatch` with the file and position.
package final class PartitionReader {
  package let folder: String
  let fileSystem: FileSystem
  private let buffer = ByteBuffer(capacity: SegmentBatchReader.readSize)
  private var segment: OpenSegment?
  /// The offset of the next record to return.
  package private(set) var position: Int64 = 0
  /// Records skipped because retention removed them while this reader was behind.
  package private(set) var offsetsLostToRetention: Int64 = 0

  private final class OpenSegment {
    let base: Int64
    let fd: CInt
    let reader: SegmentBatchReader
    init(base: Int64, fd: CInt, reader: SegmentBatchReader) {
      self.base = base
      self.fd = fd
      self.reader = reader
    }
  }

  package init(folder: String, fileSystem: FileSystem) {
    self.folder = folder
    self.fileSystem = fileSystem
  }

  deinit { closeSegment() }

  private func closeSegment() {
    if let segment { try? fileSystem.close(segment.fd) }
    segment = nil
  }

  /// Log start offset (first readable) and log end offset (next to be written).
  package func bounds() throws(StorageError) -> (start: Int64, end: Int64) {
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    guard let first = bases.first, let last = bases.last else { return (0, 0) }
    let tail = try TailScan.scan(folder: folder, base: last, fileSystem: fileSystem)
    return (first, tail.nextOffset)
  }

  /// Positions the reader so that the next record returned is the first at or after
  /// `offset`. An offset below the log start moves to the log start.
  package func seek(to offset: Int64) throws(StorageError) {
    closeSegment()
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    guard let first = bases.first else {
      position = 0
      return
    }
    position = max(offset, first)
    let base = bases.last(where: { $0 <= position }) ?? first
    try open(base: base, at: position)
  }

  private func open(base: Int64, at target: Int64) throws(StorageError) {
    let path = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch { throw .io(error, operation: "open", path: path) }
    var start: Int64 = 0
    let size: Int64
    do {
      size = try fileSystem.size(of: fd, path: path)
      if target > base {
        start = try IndexLookup.position(
          of: target, folder: folder, base: base, logFD: fd, logPath: path, logSize: size, fileSystem: fileSystem)
      }
    } catch {
      try? fileSystem.close(fd)
      throw .io(error, operation: "read", path: path)
    }
    segment = OpenSegment(
      base: base, fd: fd,
      reader: SegmentBatchReader(fd: fd, path: path, fileSystem: fileSystem, from: start, fileSize: size, buffer: buffer))
  }

  /// The next batch holding records at or after `position`, or nil when the reader has caught
  /// up with the log end. The view is valid until the next call. Moves `position` past it.
  package func nextBatch() throws(StorageError) -> RecordBatchView? {
    while true {
      if segment == nil {
        try seek(to: position)
        if segment == nil { return nil }
      }
      guard let current = segment else { return nil }
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try current.reader.next() } catch {
        throw .io(error, operation: "read", path: current.reader.path)
      }
      switch outcome {
      case .batch(let batch, _):
        if batch.lastOffset < position { continue }
        // Past the batch, as documented: a retention gap found on the next call then counts
        // only records this reader never returned.
        position = batch.nextOffset
        if batch.isControl { continue }
        return batch
      case .end, .incomplete:
        let knownSize = current.reader.fileSize
        do { try current.reader.refreshSize() } catch { throw .io(error, operation: "stat", path: current.reader.path) }
        if current.reader.fileSize > knownSize { continue }
        if try moveToNextSegment(after: current, outcome: outcome) { continue }
        return nil
      case .corrupt(let at, let reason):
        let later = try SegmentFiles.bases(in: folder, fileSystem: fileSystem).contains { $0 > current.base }
        let announced = Int64(batchSizeAnnounced(at: at) ?? 0)
        if !later && at + announced >= current.reader.fileSize { return nil }  // torn tail awaiting recovery
        throw .corruptBatch(file: current.reader.path, position: at, reason: reason)
      }
    }
  }

  /// Called by a consumer that stops inside a batch: the next record it wants is `offset`.
  package func rewind(to offset: Int64) throws(StorageError) {
    if offset != position { try seek(to: offset) }
  }

  private func batchSizeAnnounced(at position: Int64) -> Int? {
    guard let segment else { return nil }
    var raw: (Int64, Int32) = (0, 0)
    let got = withUnsafeMutableBytes(of: &raw) { p in
      (try? fileSystem.read(segment.fd, into: p.baseAddress!, count: 12, at: position, path: segment.reader.path)) ?? 0
    }
    guard got == 12 else { return nil }
    return withUnsafeBytes(of: raw) { RecordBatchView.announcedSize(at: $0.baseAddress!, available: 12) }
  }

  /// At the end of a segment's data: follow a roll or a retention gap. Returns false when
  /// this segment is still the newest (the reader has caught up).
  private func moveToNextSegment(after current: OpenSegment, outcome: SegmentBatchReader.Outcome) throws(StorageError)
    -> Bool
  {
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    guard let next = bases.first(where: { $0 > current.base }) else {
      if !bases.contains(current.base), let first = bases.first, first > position {
        offsetsLostToRetention += first - position
        position = first
        closeSegment()
        return true
      }
      return false
    }
    // A writer creates the next segment only after its last write to this one, so this
    // segment is final now; but that write may have landed since the size was last read.
    let knownSize = current.reader.fileSize
    do { try current.reader.refreshSize() } catch { throw .io(error, operation: "stat", path: current.reader.path) }
    if current.reader.fileSize > knownSize { return true }
    if case .incomplete(let at) = outcome {
      throw .corruptBatch(
        file: current.reader.path, position: at,
        reason: .truncated(needed: batchSizeAnnounced(at: at) ?? BatchLayout.headerSize, available: Int(current.reader.fileSize - at)))
    }
    closeSegment()
    if next > position {
      if bases.first == next { offsetsLostToRetention += next - position }
      position = next
    }
    let target = position
    guard let base = bases.last(where: { $0 <= target }) else { return false }
    do { try open(base: base, at: target) } catch {
      if case .io(let errno, _, _) = error, errno == .noSuchFile { return true }  // removed meanwhile: look again
      throw error
    }
    return true
  }
}
