import Glibc
import KQLog

/// Reads one partition forward from any offset, in bounded memory, without taking locks:
/// it never blocks writers and never returns a partial batch (a batch counts once the file
/// holds all of it). A batch failing its checks in a sealed segment, or before the end of
/// the active one, is reported as `StorageError.corruptBatch` with the file and position.
package final class PartitionReader {
  package let folder: String
  let fileSystem: FileSystem
  private let buffer = ByteBuffer(capacity: SegmentBatchReader.readSize)
  /// The last compressed batch handed out, decoded (`RecordBatchView.decompressed`).
  private var decompressed = ByteBuffer(capacity: 0)
  private var decoder: DecompressAhead?
  /// Compressed batches handed out: from the second on, the reader reads the next batches as
  /// it hands one out and has them decoded meanwhile (`readNextAhead`), so a read of one batch
  /// (`consume -n 1`) starts no thread.
  private var compressedBatchesHandedOut = 0
  /// Whether a compressed batch was handed out, which from the second on are decoded ahead.
  package var handsOutCompressedBatches: Bool { compressedBatchesHandedOut > 0 }
  /// Whether a thread could be started for `decoder`; once not, the reader decodes alone.
  private(set) var mayDecodeAhead = true
  /// What the segment reader returned after the batch handed out last, read ahead
  /// (`readNextAhead`), oldest first; the next calls take it before reading on.
  private var readAhead: [ReadAheadOutcome] = []
  /// At most this many batches read ahead are decoding at once: two, so that the thread
  /// starts the next as soon as it finishes one, without waiting for this reader to wake.
  static let decodeAheadDepth = 2
  /// Buffers of batches read ahead that are free again.
  private var spareBuffers: [AheadBuffers] = []

  /// A batch read ahead: a copy of its stored bytes (the segment reader's own are valid only
  /// until it is called again) and, once decoded, its records.
  private final class AheadBuffers {
    let stored = ByteBuffer(capacity: 0)
    var decoded = ByteBuffer(capacity: 0)
  }

  private struct ReadAheadOutcome {
    let outcome: Result<SegmentBatchReader.Outcome, Errno>
    let expected: Int64?
    /// The buffers of a batch `decoder` is decoding (from `stored` into `decoded`).
    let buffers: AheadBuffers?
  }

  /// Whether compressed batches are being decoded on a thread of this reader's.
  package var hasDecodingThread: Bool { decoder?.isRunning ?? false }

  /// The topic's `max.message.bytes`, which bounds what a compressed batch may decode to.
  let maxMessageBytes: Int
  private var segment: OpenSegment?
  /// The offset of the next record to return.
  package private(set) var position: Int64 = 0
  /// Records skipped because retention removed them while this reader was behind.
  package private(set) var offsetsLostToRetention: Int64 = 0
  /// The ranges of offsets counted there and not yet taken (`takeOffsetsLostToRetention`).
  private var lostRanges: [ClosedRange<Int64>] = []
  /// Whether `position` was set by a seek: only then is finding it removed a loss.
  private var isPositioned = false
  /// The partition folder, held open so that its inode cannot be reused: a name that still
  /// gives `folderIdentity` still names this folder, not one of a topic created again.
  private let folderFD: CInt?
  private let folderIdentity: FileIdentity?
  /// Attempts to open a segment that a listing showed and retention removed meanwhile.
  private static let reopenAttempts = 1000

  private final class OpenSegment {
    let base: Int64
    let fd: CInt
    let reader: SegmentBatchReader
    /// The offset after the last batch read from this segment: where the next one starts.
    var end: Int64
    /// The partition's cleaned end when this segment was opened (`CleanerCheckpoint`); the
    /// segment is one the cleaner wrote when its base lies below it.
    let cleanedEnd: Int64
    var isCleaned: Bool { base < cleanedEnd }
    init(base: Int64, fd: CInt, reader: SegmentBatchReader, cleanedEnd: Int64) {
      self.base = base
      self.fd = fd
      self.reader = reader
      self.end = base
      self.cleanedEnd = cleanedEnd
      reader.gapsAllowed = base < cleanedEnd
    }
  }

  package init(folder: String, fileSystem: FileSystem, maxMessageBytes: Int = Int(TopicConfig().maxMessageBytes)) {
    self.folder = folder
    self.fileSystem = fileSystem
    self.maxMessageBytes = maxMessageBytes
    let fd = try? fileSystem.open(folder, O_RDONLY | O_DIRECTORY)
    folderFD = fd
    folderIdentity = fd.flatMap { try? fileSystem.identity(of: $0, path: folder) }
  }

  deinit {
    closeSegment()
    decoder?.stop()
    if let folderFD { try? fileSystem.close(folderFD) }
  }

  private func closeSegment() {
    dropReadAhead()
    if let segment { try? fileSystem.close(segment.fd) }
    segment = nil
  }

  /// Forgets the outcomes read ahead, once the decoder is done with their buffers.
  private func dropReadAhead() {
    for ahead in readAhead {
      guard let buffers = ahead.buffers else { continue }
      _ = decoder?.wait()
      spareBuffers.append(buffers)
    }
    readAhead.removeAll(keepingCapacity: true)
  }

  /// Throws `topicDeleted` when the partition's folder is no longer the one this reader
  /// opened: the topic was deleted, or deleted and created again. Called after every lookup
  /// by name, so that what the lookup found is known to be this partition's.
  package func checkFolder() throws(StorageError) {
    let now: FileIdentity?
    do { now = try fileSystem.identity(at: folder) } catch { throw .io(error, operation: "stat", path: folder) }
    guard let folderIdentity, now == folderIdentity else {
      throw .topicDeleted(FileNames.topic(ofPartitionFolder: folder))
    }
  }

  /// The segment bases (`SegmentFiles.bases`), known to be this partition's.
  private func listBases() throws(StorageError) -> [Int64] {
    let bases: [Int64]
    do { bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem) } catch {
      if case .io(let errno, _, _) = error, errno == .noSuchFile { try checkFolder() }
      throw error
    }
    try checkFolder()
    return bases
  }

  /// Log start offset (first readable) and log end offset (next to be written). Damage in the
  /// newest segment does not end the log early: the end lies past it, so that reading to the
  /// end meets it and reports it after the records before it.
  package func bounds() throws(StorageError) -> (start: Int64, end: Int64) {
    let bases = try listBases()
    guard let first = bases.first, let last = bases.last else { return (0, 0) }
    let tail = try TailScan.scan(folder: folder, base: last, fileSystem: fileSystem, pastDamage: true)
    try checkFolder()
    return (first, tail.nextOffset)
  }

  /// Positions the reader so that the next record returned is the first at or after
  /// `offset`. An offset below the log start moves to the log start.
  package func seek(to offset: Int64) throws(StorageError) {
    closeSegment()
    position = offset
    isPositioned = true
    try openFloorSegment(reportingLoss: false)
  }

  /// Opens the segment holding `position`. When retention removed it, moves to the log start,
  /// counting the offsets passed over as lost if `reportingLoss`.
  private func openFloorSegment(reportingLoss: Bool) throws(StorageError) {
    for _ in 0..<Self.reopenAttempts {
      let bases = try listBases()
      guard let first = bases.first else { return }
      if position < first {
        if reportingLoss { recordLoss(position..<first) }
        position = first
      }
      let target = position
      guard let base = bases.last(where: { $0 <= target }) else { return }
      if try open(base: base, at: target) { return }
    }
    throw .io(.noSuchFile, operation: "open", path: folder)
  }

  /// Opens the segment at `base` positioned for `target`; false when it is gone (removed by
  /// retention since it was listed).
  private func open(base: Int64, at target: Int64) throws(StorageError) -> Bool {
    let path = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch {
      if error == .noSuchFile { return false }
      throw .io(error, operation: "open", path: path)
    }
    do { try checkFolder() } catch {
      try? fileSystem.close(fd)
      throw error
    }
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
    // Read after the segment was opened: the checkpoint covers a cleaned segment before it
    // takes its name, so a cleaned segment open here is never judged by an older checkpoint.
    let cleanedEnd = CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem)
    segment = OpenSegment(
      base: base, fd: fd,
      reader: SegmentBatchReader(
        fd: fd, path: path, fileSystem: fileSystem, from: start.position, expecting: start.baseOffset, fileSize: size,
        buffer: buffer),
      cleanedEnd: cleanedEnd)
    return true
  }

  private func recordLoss(_ offsets: Range<Int64>) {
    guard !offsets.isEmpty else { return }
    offsetsLostToRetention += offsets.upperBound - offsets.lowerBound
    lostRanges.append(offsets.lowerBound...(offsets.upperBound - 1))
  }

  /// Ranges among the lost ones that `kq verify --repair` moved aside (kq.unreadable), not retention.
  private var movedAside: [ClosedRange<Int64>] = []

  package func wasMovedAside(_ range: ClosedRange<Int64>) -> Bool { movedAside.contains(range) }

  /// Whether retention removed offsets this reader had not returned yet, since the last take.
  package var hasLostOffsets: Bool { !lostRanges.isEmpty }

  /// The ranges of offsets retention removed before this reader returned them, since the
  /// last call, oldest first.
  package func takeOffsetsLostToRetention() -> [ClosedRange<Int64>] {
    defer { lostRanges.removeAll() }
    return lostRanges
  }

  /// The file and byte position of the batch `nextBatch` returned last, for `damage(_:)`.
  private var lastBatch: (file: String, position: Int64)?

  /// The next batch holding records at or after `position`, or nil when the reader has caught
  /// up with the log end. The view is valid until the next call. Moves `position` past it.
  /// A compressed batch is handed out decompressed (its records section decoded, the codec
  /// bits cleared); one that does not decode throws `corruptBatch(.undecodableRecords)`.
  /// Every batch returned passed `BatchCheck` and follows the one before it; anything else
  /// that is not a torn tail of the newest segment throws (`corruptBatch`, `offsetGap`).
  package func nextBatch() throws(StorageError) -> RecordBatchView? {
    try next(checking: true)?.view
  }

  /// `PartitionReading.nextUncheckedBatch`: no CRC checked, no read-ahead thread (which would
  /// check them), compressed batches as stored.
  package func nextUncheckedBatch() throws(StorageError) -> UncheckedBatch? {
    try next(checking: false)
  }

  private func next(checking: Bool) throws(StorageError) -> UncheckedBatch? {
    var hasLookedAgain = false
    while true {
      if segment == nil {
        try openFloorSegment(reportingLoss: isPositioned)
        isPositioned = true
        if segment == nil { return nil }
      }
      guard let current = segment else { return nil }
      let expected: Int64?
      let outcome: SegmentBatchReader.Outcome
      var decodedAhead: Result<RecordBatchView, BatchDecodeError>?
      var decodedInto: AheadBuffers?
      if !readAhead.isEmpty {
        let ahead = readAhead.removeFirst()
        expected = ahead.expected
        if let buffers = ahead.buffers {
          decodedAhead = decoder?.wait()
          decodedInto = buffers
          spareBuffers.append(buffers)  // reused only by `readNextAhead`, after this batch is done
        }
        switch ahead.outcome {
        case .success(let read): outcome = read
        case .failure(let error): throw .io(error, operation: "read", path: current.reader.path)
        }
      } else {
        expected = current.reader.expectedOffset
        if !checking { current.reader.readsAhead = false }
        do { outcome = try current.reader.next(validateCRC: checking) } catch {
          throw .io(error, operation: "read", path: current.reader.path)
        }
      }
      switch outcome {
      case .batch(let batch, let at):
        current.end = batch.nextOffset
        if batch.lastOffset < position { continue }
        // Past the batch, as documented: a retention gap found on the next call then counts
        // only records this reader never returned.
        position = batch.nextOffset
        if batch.isControl { continue }
        lastBatch = (current.reader.path, at)
        if !checking { return UncheckedBatch(view: batch, memory: current.reader.window(holding: batch, at: at), maxMessageBytes: maxMessageBytes) }
        if batch.compressionCodec == 0 { return UncheckedBatch(view: batch, memory: nil, maxMessageBytes: maxMessageBytes) }
        let decoded: RecordBatchView
        do throws(BatchDecodeError) {
          if let decodedAhead, let decodedInto {
            swap(&decompressed, &decodedInto.decoded)
            decoded = try decodedAhead.get()
          } else {
            decoded = try batch.decompressed(into: decompressed, maxMessageBytes: maxMessageBytes)
          }
        } catch {
          throw .corruptBatch(file: current.reader.path, position: at, reason: error)
        }
        readNextAhead(current)
        return UncheckedBatch(view: decoded, memory: nil, maxMessageBytes: maxMessageBytes)
      case .end, .incomplete:
        if try hasGrown(current) { continue }
        if try moveToNextSegment(after: current, outcome: outcome) { continue }
        guard case .incomplete(let at) = outcome else { return nil }
        if try isTornTail(current, at: at, expected: expected, reason: nil, hasLookedAgain: &hasLookedAgain) {
          return nil
        }
      case .corrupt(let at, let reason):
        let isNewest = try !listBases().contains { $0 > current.base }
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

  /// After a compressed batch is handed out (the second and later): reads the next outcomes
  /// now, up to `decodeAheadDepth` compressed batches the caller will want, and has `decoder`
  /// decode each from a copy while the caller copies this batch's records. Stops after any
  /// other outcome (a plain batch, the end, damage, an I/O error), which the segment reader's
  /// memory holds until it is called again: the next calls deal with each in turn, as if read
  /// then.
  private func readNextAhead(_ current: OpenSegment) {
    compressedBatchesHandedOut += 1
    guard compressedBatchesHandedOut >= 2, mayDecodeAhead else { return }
    while readAhead.count < Self.decodeAheadDepth, readAhead.last.map({ $0.buffers != nil }) ?? true {
      let expected = current.reader.expectedOffset
      var outcome: Result<SegmentBatchReader.Outcome, Errno>
      do { outcome = .success(try current.reader.next()) } catch { outcome = .failure(error) }
      var decoding: AheadBuffers?
      if case .success(.batch(let batch, let at)) = outcome, batch.compressionCodec != 0, !batch.isControl,
        batch.lastOffset >= position
      {
        let buffers = spareBuffers.popLast() ?? AheadBuffers()
        buffers.stored.count = 0
        buffers.stored.append(batch.base, count: batch.size)
        let copy = RecordBatchView(unchecked: UnsafeRawPointer(buffers.stored.base), size: batch.size)
        let thread = decoder ?? DecompressAhead()
        decoder = thread
        if thread.submit(copy, into: buffers.decoded, maxMessageBytes: maxMessageBytes) {
          outcome = .success(.batch(copy, position: at))
          decoding = buffers
        } else {
          mayDecodeAhead = false
          spareBuffers.append(buffers)
        }
      }
      readAhead.append(ReadAheadOutcome(outcome: outcome, expected: expected, buffers: decoding))
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

  /// Whether the segment's file grew since its size was last read (and takes the new size).
  private func hasGrown(_ current: OpenSegment) throws(StorageError) -> Bool {
    let knownSize = current.reader.fileSize
    do { try current.reader.refreshSize() } catch { throw .io(error, operation: "stat", path: current.reader.path) }
    return current.reader.fileSize > knownSize
  }

  /// At the end of a segment's data: follow a roll, or a retention gap. Returns false when
  /// this segment is still the newest (the reader has caught up).
  ///
  /// The next segment starts where this one's records end, so it is opened by that name. A
  /// listing is not trusted for it: one taken while a writer rolls may leave out that segment
  /// and show a later one, and following the listing would skip a whole segment's records. A
  /// later segment that does not start there, while this one is still in place, is damage
  /// (`offsetGap`: a `.log` lost or emptied in between).
  private func moveToNextSegment(after current: OpenSegment, outcome: SegmentBatchReader.Outcome) throws(StorageError)
    -> Bool
  {
    // A whole batch cut short by the end of the file is a write in progress, unless a later
    // segment exists: a writer rolls only after its last write here, so then it is damage.
    if case .incomplete(let at) = outcome {
      guard try listBases().contains(where: { $0 > current.base }) else { return false }
      if try hasGrown(current) { return true }
      let reason: BatchDecodeError
      do {
        reason = try TailDamage.incompleteReason(
          fd: current.fd, path: current.reader.path, fileSystem: fileSystem, at: at, fileSize: current.reader.fileSize)
      } catch { throw .io(error, operation: "read", path: current.reader.path) }
      throw .corruptBatch(file: current.reader.path, position: at, reason: reason)
    }
    let next = current.reader.expectedOffset ?? current.end
    let path = FileNames.logFile(in: folder, base: next)
    var nextFD: CInt?
    // A segment nothing was read from is empty: the newest (a writer rolls only non-empty ones).
    if next > current.base {
      do { nextFD = try fileSystem.open(path, O_RDONLY) } catch {
        if error != .noSuchFile { throw .io(error, operation: "open", path: path) }
      }
    }
    if let nextFD {
      try? fileSystem.close(nextFD)
      // A writer creates the next segment only after its last write to this one, so this
      // segment is final now; but that write may have landed since the size was last read.
      if try hasGrown(current) { return true }
      closeSegment()
      position = max(position, next)
      _ = try open(base: next, at: position)  // if removed meanwhile, the next call looks again
      return true
    }
    // No segment starts there: the reader has caught up, unless this segment was removed
    // (by retention, or with its topic) and what followed it too.
    let links: UInt
    do { links = UInt(try fileSystem.status(of: current.fd, path: current.reader.path).st_nlink) } catch {
      throw .io(error, operation: "stat", path: current.reader.path)
    }
    if links > 0 {
      // A segment a swap is replacing (SegmentSwap, step 4) is as good as removed: its
      // successors may be gone before it, and the cleaned segment holds what they kept.
      if current.isCleaned {
        if try isBeingReplaced(current) { return continueAfterRemoved(next) }
        return try passCompactionGap(after: current, next: next)
      }
      // This segment is in place, so retention removed nothing after it: a later segment must
      // start at `next`. One created since the name was tried is read on the next call.
      let bases = try listBases()
      guard let later = bases.first(where: { $0 > current.base }) else { return false }
      // A later segment means this one is final, but its last write may have landed since its
      // size was read (the writer appends, then rolls).
      if try hasGrown(current) { return true }
      if later == next || (next > current.base && fileSystem.exists(path)) { return true }
      // Offsets `kq verify --repair` moved aside: passed over and reported, as retention's.
      if next < later && UnreadableOffsets.covers(next..<later, folder: folder, fileSystem: fileSystem) {
        let from = max(position, next)
        if later > from {
          recordLoss(from..<later)
          movedAside.append(from...(later - 1))
        }
        position = max(from, later)
        closeSegment()
        return true
      }
      if try isBeingReplaced(current) { return continueAfterRemoved(next) }
      throw .offsetGap(file: FileNames.logFile(in: folder, base: later), expected: next, found: later)
    }
    return continueAfterRemoved(next)
  }

  /// The current segment was removed: by retention (with everything before it), or replaced
  /// by the cleaner, whose segment holding `next` then has a lower base. The next call opens
  /// the segment holding `next` (skipping records below it), or counts what retention removed.
  private func continueAfterRemoved(_ next: Int64) -> Bool {
    position = max(position, next)
    closeSegment()
    return true
  }

  /// Whether `segment` is one of the old segments a cleaned segment replaces and a swap is
  /// removing (listed between steps 3 and 5 of `SegmentSwap`). Asked only where a segment
  /// whose successor is missing is still linked, a rare case: it costs a listing. A segment
  /// the cleaner never touched (below the cleaned end only if cleaned or being replaced) is not.
  private func isBeingReplaced(_ segment: OpenSegment) throws(StorageError) -> Bool {
    guard segment.base < CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem) else { return false }
    return try SegmentFiles.isBeingReplaced(segment.base, folder: folder, fileSystem: fileSystem)
  }

  /// At the end of a segment the cleaner wrote, still in place: its last batches, or whole
  /// segments after it, may have been compacted away. The next segment is the first whose
  /// base is at or after `next` (a listing may still show segments a cleaner is replacing,
  /// whose offsets lie below `next`); the offsets in between are legal gaps when they lie
  /// below the cleaned end, and damage (`offsetGap`) otherwise.
  private func passCompactionGap(after current: OpenSegment, next: Int64) throws(StorageError) -> Bool {
    let bases = try listBases()
    guard let later = bases.first(where: { $0 >= next }) else { return false }
    if try hasGrown(current) { return true }
    if later > current.cleanedEnd && later > CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem) {
      throw .offsetGap(file: FileNames.logFile(in: folder, base: later), expected: next, found: later)
    }
    // Offsets `kq verify --repair` moved aside within the gap: reported, as anywhere else.
    if let moved = UnreadableOffsets.movedPart(of: next..<later, folder: folder, fileSystem: fileSystem) {
      let from = max(position, moved.lowerBound)
      if later > from {
        recordLoss(from..<later)
        movedAside.append(from...(later - 1))
      }
    }
    position = max(position, later)
    closeSegment()
    return true
  }
}
