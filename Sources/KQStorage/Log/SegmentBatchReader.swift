import KQLog
/// Reads the batches of one segment file in order. Long stretches of the file are read in
/// place through a mapped window (`MappedRegion`, no copy); the last `mapThreshold` bytes, and
/// everything once mapping is refused or a mapping fault is seen, through a reused buffer with
/// large `pread`s. It only detects: a batch cut short by the end of the file (`incomplete`: a
/// writer still writing, or a torn tail after a crash) or failing its checks (`corrupt`).
/// Recovery, reads and verification each choose what to do about it.
package final class SegmentBatchReader {
  package enum Outcome {
    /// A whole, checked batch; valid until the next call.
    case batch(RecordBatchView, position: Int64)
    /// Nothing after `position` (the known end of the file).
    case end
    /// Bytes at `position` that do not (yet) form a whole batch before the end of the file.
    case incomplete(position: Int64)
    case corrupt(position: Int64, reason: BatchDecodeError)
  }

  package static let readSize = 1 << 18
  /// The size of a mapped window, which is also the size of a huge page (x86-64, and arm64
  /// with 4 KiB pages): a window covers whole 2 MiB blocks of the file (`windowBounds`), so that
  /// where the page cache holds a block as one 2 MiB folio, the kernel maps it with one
  /// page-table entry and unmaps it as one (consume to /dev/null of a segment in 2 MiB folios:
  /// 10.3 ms with windows from the batch's page, 9.3 ms with whole blocks). The reader's
  /// resident memory grows by at most `windowSize` + `windowSlack` for its window, by up to
  /// 2 × `windowSize` for the first after a seek (or, when the caller keeps batches
  /// (`PartitionReader.nextUncheckedBatch`), by that much for each window a kept batch lies
  /// in). Each window unmapped costs the other cores a TLB flush: 1 MiB windows made a consume
  /// to /dev/null 7% slower.
  package static let windowSize = 2 << 20
  /// How far a window reaches past its last whole block: a batch that starts in the block and
  /// ends within this is read from the window, and the next window starts at the next block.
  package static let windowSlack = 1 << 18
  /// Windows mapped at once in the process (about 36 MiB), however many partitions are read.
  static let maxWindows = 16
  /// Closer than this to the known end of the file, `pread` costs less than a new mapping
  /// (a follower reading each small append as it lands).
  package static let mapThreshold: Int64 = 1 << 16

  package let fd: CInt
  package let path: String
  private let fileSystem: FileSystem
  /// File position of the next batch.
  package private(set) var position: Int64
  /// The offset the next batch must start at: the segment's base at position 0, then each
  /// batch's next offset. nil when unknown (a read starting at an index entry's batch,
  /// which the index lookup checked): the next batch sets it.
  package private(set) var expectedOffset: Int64?
  /// Whether this is a segment the cleaner wrote: batches may then have lost records and
  /// start past the previous batch's end (`BatchCheck.offsets`).
  package var gapsAllowed = false
  /// Whether a bulk read starts a read-ahead thread, which maps the next window and checks its
  /// CRCs: not worth it to a reader that skips most batches by their header and checks no CRC.
  package var readsAhead = true
  /// The file size as last seen; `refreshSize()` looks again.
  package private(set) var fileSize: Int64
  private let buffer: ByteBuffer
  /// File position of `buffer.base`.
  private var bufferStart: Int64
  private var window: MappedRegion?
  /// Where the window's usable bytes end: the region's end, or an earlier batch start.
  private var windowLimit: Int64 = 0
  /// The read-ahead thread's window the reader is in, and the reader's place in its checks.
  private var madeWindow: ReadAhead.Window?
  private var checkedIndex = 0
  /// What `touchPages` read last.
  private var pageProbe: UInt8 = 0
  /// Windows this reader mapped itself; from the second on, it is a bulk read and a
  /// read-ahead thread makes the ones after.
  private var windowsMapped = 0
  private var readAhead: ReadAhead?
  /// False once mapping failed or a mapping fault was seen: `pread` from then on.
  private var mayMap: Bool
  /// `MappingFaults.generation` when this reader last looked.
  private var faultsSeen = MappingFaults.current
  /// The last batch returned from the window, checked again if a fault happens meanwhile.
  private var lastMappedBatch: (position: Int64, crc: UInt32, size: Int, baseOffset: Int64)?

  /// A reader from `position` of the file; `expecting` is the offset the batch there must
  /// start at (the segment's base when `position` is 0), nil when not known.
  package init(fd: CInt, path: String, fileSystem: FileSystem, from position: Int64, expecting: Int64?, fileSize: Int64,
               buffer: ByteBuffer? = nil, mapping: Bool = true) {
    self.fd = fd
    self.path = path
    self.fileSystem = fileSystem
    self.position = position
    self.expectedOffset = expecting
    self.fileSize = fileSize
    self.buffer = buffer ?? ByteBuffer(capacity: Self.readSize)
    self.buffer.count = 0
    self.bufferStart = position
    self.mayMap = mapping
  }

  deinit { readAhead?.stop() }

  package func refreshSize() throws(Errno) {
    fileSize = try fileSystem.size(of: fd, path: path)
  }

  /// Moves to `position`, which must be a batch start whose base offset is `expecting`.
  package func seek(to newPosition: Int64, expecting: Int64?) {
    position = newPosition
    expectedOffset = expecting
  }

  /// Makes `needed` bytes from `position` readable (the caller checked the file holds them):
  /// returns where they start and how many bytes from there are readable.
  private func fill(_ needed: Int) throws(Errno) -> (UnsafeRawPointer, available: Int) {
    if let window, position >= window.offset, position + Int64(needed) <= windowLimit {
      return (window.pointer(at: position), Int(windowLimit - position))
    }
    if mayMap && fileSize - position >= Self.mapThreshold, let window = nextWindow(needed) {
      return (window.pointer(at: position), Int(windowLimit - position))
    }
    dropWindow()
    return try fillBuffer(needed)
  }

  /// The read-ahead thread's window at `position` if it made one, else one mapped here.
  private func nextWindow(_ needed: Int) -> MappedRegion? {
    dropWindow()
    if let made = readAhead?.take(at: position), made.region.contains(position, count: needed) {
      window = made.region
      windowLimit = made.region.end
      madeWindow = made
      return made.region
    }
    // Many partitions read at once share a budget of windows; past it, readers use pread.
    guard MappingFaults.liveRegions.load(ordering: .relaxed) < Self.maxWindows else { return nil }
    guard let region = Self.mapWindow(fileSystem, fd, path, at: position, needed: needed, fileSize: fileSize)
    else {
      mayMap = false
      return nil
    }
    window = region
    windowLimit = region.end
    windowsMapped += 1
    if windowsMapped >= 2 && readsAhead && fileSystem.isPlain {
      let thread = readAhead ?? ReadAhead(fd: fd, path: path, fileSystem: fileSystem)
      readAhead = thread.begin(after: position, fileSize: fileSize) ? thread : nil
    }
    return region
  }

  /// The file range of the window for the batch at `position`, before it is stretched to
  /// hold a larger batch. A window starts at the 2 MiB block holding `position` when the batch
  /// lies within `windowSlack` of the block's start (where the last window ended), else at
  /// the page holding it (the first window after a seek, or after a batch larger than the
  /// slack); it ends `windowSlack` past a block's end, the next block's when fewer than 1 MiB
  /// would be left from `position`, or at `fileSize`. Sequential windows then start on block
  /// boundaries, and each block is inside one of them whole.
  /// `position` lies in the file (`0...fileSize`): every sum stays within `fileSize`.
  package static func windowBounds(at position: Int64, fileSize: Int64) -> (start: Int64, end: Int64) {
    let block = position & ~Int64(windowSize - 1)
    let intoBlock = position - block
    let start = intoBlock <= Int64(windowSlack) ? block : position & ~Int64(MappingFaults.pageSize - 1)
    var span = Int64(windowSize + windowSlack)
    if span - intoBlock < Int64(windowSize / 2) { span += Int64(windowSize) }
    return (start, block + min(span, fileSize - block))
  }

  /// Maps the window for the batch at `position` (`windowBounds`), further when that batch is
  /// larger (its header says, or `needed`). The read-ahead thread maps its windows the same
  /// way, so both agree on where one ends and the next begins.
  static func mapWindow(
    _ fileSystem: FileSystem, _ fd: CInt, _ path: String, at position: Int64, needed: Int, fileSize: Int64
  ) -> MappedRegion? {
    let (start, bound) = windowBounds(at: position, fileSize: fileSize)
    let end = max(bound, position + min(Int64(needed), fileSize - position))
    guard let region = try? fileSystem.map(fd, at: start, count: Int(end - start), path: path) else { return nil }
    guard region.contains(position, count: BatchLayout.logOverhead),
      let batchSize = RecordBatchView.announcedSize(at: region.pointer(at: position), available: BatchLayout.logOverhead),
      position + Int64(batchSize) > region.end, position + Int64(batchSize) <= fileSize
    else { return region }
    return mapWindow(fileSystem, fd, path, at: position, needed: batchSize, fileSize: fileSize) ?? region
  }

  /// The mapped window that `view`, the batch this reader returned last (from file position
  /// `at`), lies in; nil when it was read into the buffer, which the next call may overwrite.
  package func window(holding view: RecordBatchView, at batchPosition: Int64) -> MappedRegion? {
    guard let window, window.contains(batchPosition, count: view.size), view.base == window.pointer(at: batchPosition)
    else { return nil }
    return window
  }

  private func dropWindow() {
    if let window, let readAhead { readAhead.retire(window) }
    window = nil
    windowLimit = 0
    madeWindow = nil
    checkedIndex = 0
  }

  /// Reads a byte of every page of a batch the read-ahead thread checked, as the CRC would
  /// have: a page cut off since faults now (see `MappingFaults`), before the batch is handed out.
  @inline(__always)
  private func touchPages(of view: RecordBatchView) {
    var sum: UInt8 = 0
    var offset = 0
    while offset < view.size {
      sum |= view.base.load(fromByteOffset: offset, as: UInt8.self)
      offset += MappingFaults.pageSize
    }
    sum |= view.base.load(fromByteOffset: view.size - 1, as: UInt8.self)
    pageProbe = sum  // a store the optimizer must keep, and with it the loads
  }

  /// Whether the read-ahead thread checked this very batch (same place, size and stored CRC).
  @inline(__always)
  private func wasChecked(_ view: RecordBatchView) -> Bool {
    guard let madeWindow else { return false }
    return madeWindow.wasChecked(position: position, size: view.size, crc: view.storedCRC, index: &checkedIndex)
  }

  private func fillBuffer(_ needed: Int) throws(Errno) -> (UnsafeRawPointer, available: Int) {
    if position < bufferStart || position > bufferStart + Int64(buffer.count) {
      buffer.count = 0
      bufferStart = position
    }
    let offsetInBuffer = Int(position - bufferStart)
    if offsetInBuffer + needed > buffer.count {
      buffer.removeFirst(offsetInBuffer)
      bufferStart = position
      let want = Int(min(Int64(max(needed, Self.readSize)), fileSize - position))
      if want > buffer.capacity { buffer.grow(to: want) }
      let toRead = want - buffer.count
      if toRead > 0 {
        let got = try fileSystem.read(
          fd, into: buffer.base + buffer.count, count: toRead, at: bufferStart + Int64(buffer.count), path: path)
        buffer.count += got
      }
    }
    let at = Int(position - bufferStart)
    return (UnsafeRawPointer(buffer.base + at), buffer.count - at)
  }

  package func next(validateCRC: Bool = true) throws(Errno) -> Outcome {
    if window != nil || lastMappedBatch != nil, MappingFaults.current != faultsSeen { try stopMapping() }
    let from = position
    let expectedBefore = expectedOffset
    var outcome = try read(validateCRC: validateCRC)
    if window != nil, MappingFaults.current != faultsSeen {
      // A page under the window turned to zeros while this batch was read: read it again.
      try stopMapping()
      position = from
      expectedOffset = expectedBefore
      outcome = try read(validateCRC: validateCRC)
    }
    lastMappedBatch = nil
    switch outcome {
    case .batch(let batch, let at):
      if window != nil { lastMappedBatch = (at, batch.storedCRC, batch.size, batch.baseOffset) }
    case .end: break
    case .incomplete, .corrupt:
      // Bytes from here on may be a torn tail that a recovering writer is about to cut and
      // write anew: never reuse them from the buffer, read them again next time.
      buffer.count = min(buffer.count, max(0, Int(position - bufferStart)))
    }
    return outcome
  }

  /// After a mapping fault somewhere in the process: reads go through `pread` from now on.
  /// If the batch last returned from the window no longer checks, its bytes changed after it
  /// was handed out (the file was cut under it), and what the caller took from it is suspect.
  private func stopMapping() throws(Errno) {
    faultsSeen = MappingFaults.current
    var changed = false
    if let last = lastMappedBatch, let window, window.contains(last.position, count: last.size) {
      let view = RecordBatchView(unchecked: window.pointer(at: last.position), size: last.size)
      changed = view.storedCRC != last.crc || view.computedCRC != last.crc
      if changed {  // read from the file again, from that batch on
        position = last.position
        expectedOffset = last.baseOffset
      }
    }
    lastMappedBatch = nil
    dropWindow()
    readAhead?.stop()
    readAhead = nil
    mayMap = false
    if changed { throw Errno.io }
  }

  private func read(validateCRC: Bool) throws(Errno) -> Outcome {
    let remaining = fileSize - position
    if remaining <= 0 { return .end }
    if remaining < Int64(BatchLayout.logOverhead) { return .incomplete(position: position) }
    let (header, inHeader) = try fill(BatchLayout.logOverhead)
    guard inHeader >= BatchLayout.logOverhead else {
      return .incomplete(position: position)  // the file shrank under us
    }
    let length = header.bigEndian(Int32.self, at: BatchLayout.batchLength)
    if length < Int32(BatchLayout.headerSize - BatchLayout.logOverhead) {
      return .corrupt(position: position, reason: .invalidLength(length))
    }
    let size = Int(length) + BatchLayout.logOverhead
    if Int64(size) > remaining { return .incomplete(position: position) }
    let (p, available) = try fill(size)
    let view: RecordBatchView
    do {
      view = try RecordBatchView(at: p, available: available)
      var checkCRC = validateCRC
      if checkCRC && wasChecked(view) {
        touchPages(of: view)
        checkCRC = false
      }
      try BatchCheck.batch(view, expected: expectedOffset, checkCRC: checkCRC, gapsAllowed: gapsAllowed)
    } catch {
      if case .truncated = error { return .incomplete(position: position) }
      return .corrupt(position: position, reason: error)
    }
    let at = position
    position += Int64(size)
    expectedOffset = view.nextOffset
    return .batch(view, position: at)
  }
}
