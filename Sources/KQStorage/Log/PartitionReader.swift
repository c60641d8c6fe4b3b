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

  /// Log start offset (first readable) and log end offset (next to be written). Damage in the
  /// newest segment does not end the log early: the end lies past it, so that reading to the
  /// end meets it and reports it after the records before it.
  package func bounds() throws(StorageError) -> (start: Int64, end: Int64) {
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    guard let first = bases.first, let last = bases.last else { return (0, 0) }
    let tail = try TailScan.scan(folder: folder, base: last, fileSystem: fileSystem, pastDamage: true)
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
    var start = IndexLookup.Start(position: 0, baseOffset: base)
    let size: Int64
    do {
      size = try fileSystem.size(of: fd, path: path)
      if target > base {
        start = try IndexLookup.start(
          of: target, folder: folder, base: base, logFD: fd, logPath: path, logSize: size, fileSystem: fileSystem)
      }
    } catch {
      try? fileSystem.close(fd)
      throw .io(error, operation: "read", path: path)
    }
    segment = OpenSegment(
      base: base, fd: fd,
      reader: SegmentBatchReader(
        fd: fd, path: path, fileSystem: fileSystem, from: start.position, expecting: start.baseOffset, fileSize: size,
        buffer: buffer))
  }

  /// The file and byte position of the batch `nextBatch` returned last, for `damage(_:)`.
  private var lastBatch: (file: String, position: Int64)?

  /// The next batch holding records at or after `position`, or nil when the reader has caught
  /// up with the log end. The view is valid until the next call. Moves `position` past it.
  /// Every batch returned passed `BatchCheck` and follows the one before it; anything else
  /// that is not a torn tail of the newest segment throws (`corruptBatch`, `offsetGap`).
  package func nextBatch() throws(StorageError) -> RecordBatchView? {
    var hasLookedAgain = false
    while true {
      if segment == nil {
        try seek(to: position)
        if segment == nil { return nil }
      }
      guard let current = segment else { return nil }
      let expected = current.reader.expectedOffset
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try current.reader.next() } catch {
        throw .io(error, operation: "read", path: current.reader.path)
      }
      switch outcome {
      case .batch(let batch, let at):
        if batch.lastOffset < position { continue }
        // Past the batch, as documented: a retention gap found on the next call then counts
        // only records this reader never returned.
        position = batch.nextOffset
        if batch.isControl { continue }
        lastBatch = (current.reader.path, at)
        return batch
      case .end, .incomplete:
        let knownSize = current.reader.fileSize
        do { try current.reader.refreshSize() } catch { throw .io(error, operation: "stat", path: current.reader.path) }
        if current.reader.fileSize > knownSize { continue }
        if try moveToNextSegment(after: current, outcome: outcome) { continue }
        guard case .incomplete(let at) = outcome else { return nil }
        if try isTornTail(current, at: at, expected: expected, reason: nil, hasLookedAgain: &hasLookedAgain) {
          return nil
        }
      case .corrupt(let at, let reason):
        let isNewest = try !SegmentFiles.bases(in: folder, fileSystem: fileSystem).contains { $0 > current.base }
        if !isNewest { throw .corruptBatch(file: current.reader.path, position: at, reason: reason) }
        if try isTornTail(current, at: at, expected: expected, reason: reason, hasLookedAgain: &hasLookedAgain) {
          return nil  // awaiting recovery by the next writer
        }
      }
      // What looked like damage may be a recovering writer cutting a torn tail and writing
      // anew while it was looked at: read those bytes once more before reporting them.
      do { try current.reader.refreshSize() } catch { throw .io(error, operation: "stat", path: current.reader.path) }
    }
  }

  /// The bytes at `at` of the newest segment are not a whole batch: true at a torn tail (or a
  /// write in progress). Damage is false the first time (to be read again) and throws the
  /// second.
  private func isTornTail(
    _ current: OpenSegment, at: Int64, expected: Int64?, reason: BatchDecodeError?, hasLookedAgain: inout Bool
  ) throws(StorageError) -> Bool {
    do {
      try TailDamage.checkReaderTail(
        fd: current.fd, path: current.reader.path, folder: folder, fileSystem: fileSystem, at: at,
        fileSize: current.reader.fileSize, expected: expected, isNewestSegment: true, reason: reason)
      return true
    } catch {
      if hasLookedAgain { throw error }
      hasLookedAgain = true
      return false
    }
  }

  /// The damage found while decoding the records of the batch `nextBatch` returned last,
  /// with its file and byte position.
  package func damage(_ reason: BatchDecodeError) -> StorageError {
    .corruptBatch(file: lastBatch?.file ?? folder, position: lastBatch?.position ?? 0, reason: reason)
  }

  /// Called by a consumer that stops inside a batch: the next record it wants is `offset`.
  package func rewind(to offset: Int64) throws(StorageError) {
    if offset != position { try seek(to: offset) }
  }

  /// At the end of a segment's data: follow a roll or a retention gap. Returns false when
  /// this segment is still the newest (the reader has caught up). The next segment must begin
  /// where this one's records end; a segment lost or emptied in between is `offsetGap`.
  private func moveToNextSegment(after current: OpenSegment, outcome: SegmentBatchReader.Outcome) throws(StorageError)
    -> Bool
  {
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    guard var next = bases.first(where: { $0 > current.base }) else {
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
      let reason: BatchDecodeError
      do {
        reason = try TailDamage.incompleteReason(
          fd: current.fd, path: current.reader.path, fileSystem: fileSystem, at: at, fileSize: current.reader.fileSize)
      } catch { throw .io(error, operation: "read", path: current.reader.path) }
      throw .corruptBatch(file: current.reader.path, position: at, reason: reason)
    }
    let segmentEnd = current.reader.expectedOffset ?? position
    if next != segmentEnd {
      // A listing taken while others write may miss a file: look for the one that must
      // follow by its name. Retention removes the oldest segments first, so while this one
      // is still there, nothing between it and `next` was removed by it.
      if segmentEnd > current.base && fileSystem.exists(FileNames.logFile(in: folder, base: segmentEnd)) {
        next = segmentEnd
      } else if fileSystem.exists(current.reader.path) {
        throw .offsetGap(file: FileNames.logFile(in: folder, base: next), expected: segmentEnd, found: next)
      }
    }
    closeSegment()
    if next > position {
      if bases.first == next { offsetsLostToRetention += next - position }
      position = next
    }
    let target = position
    var found = bases.last(where: { $0 <= target })
    if next <= target, found.map({ $0 < next }) ?? true { found = next }
    guard let base = found else { return false }
    do { try open(base: base, at: target) } catch {
      if case .io(let errno, _, _) = error, errno == .noSuchFile { return true }  // removed meanwhile: look again
      throw error
    }
    return true
  }
}
