import Glibc
import KQLog

/// Compacts the sealed segments of one partition (FORMAT.md, "Compaction"): a first pass over
/// the cleanable segments maps each key to the offset of its last record (`KeyMap`); a second
/// writes, group by group, the batches `BatchFilter` keeps (walking the map's offsets, sorted:
/// `KeptOffsets`) into cleaned segments; then, under the append lock, `SegmentSwap` puts them
/// in place of the old ones. Writers keep appending to the active segment meanwhile; readers
/// keep reading.
struct LogCleaner {
  let folder: String
  let config: TopicConfig
  let fileSystem: FileSystem
  let maxMessageBytes: Int

  /// A sealed segment to clean, as it was when the cleaner looked under the lock.
  struct Input {
    var base: Int64
    var size: Int64
    /// The offset after it: the next segment's base.
    var end: Int64
    var identity: FileIdentity?
  }

  /// A cleaned segment written: it replaces the segments from `base` up to `end`.
  struct Output {
    var base: Int64
    var end: Int64
    var bytes: Int64
  }

  /// The segments to clean, oldest first: every sealed segment up to the first one holding a
  /// record younger than `min.compaction.lag.ms`. `bases` are the partition's, the last the
  /// active segment's.
  func cleanable(bases: [Int64], nowMillis: Int64) throws(StorageError) -> [Input] {
    var inputs: [Input] = []
    for (index, base) in bases.enumerated().dropLast() {
      if config.minCompactionLagMillis > 0,
        let newest = SegmentFiles.maxTimestamp(folder: folder, base: base, fileSystem: fileSystem),
        RecordTimestamp.span(from: newest, to: nowMillis) < config.minCompactionLagMillis
      {
        break
      }
      let path = FileNames.logFile(in: folder, base: base)
      guard let size = try SegmentFiles.logSize(folder: folder, base: base, fileSystem: fileSystem) else { break }
      let identity: FileIdentity?
      do { identity = try fileSystem.identity(at: path) } catch { throw .io(error, operation: "stat", path: path) }
      inputs.append(Input(base: base, size: size, end: bases[index + 1], identity: identity))
    }
    return inputs
  }

  /// Whether compaction is due (the cheap check made when a segment rolls): dirty bytes (in
  /// segments at or past the cleaned end) over all cleanable bytes at least
  /// `min.cleanable.dirty.ratio`, or the oldest dirty segment older than `max.compaction.lag.ms`.
  func isDue(_ inputs: [Input], cleanedEnd: Int64, nowMillis: Int64) -> Bool {
    let total = inputs.reduce(Int64(0)) { $0 + $1.size }
    let dirtyInputs = inputs.filter { $0.base >= cleanedEnd }
    guard total > 0, let firstDirty = dirtyInputs.first else { return false }
    let dirty = dirtyInputs.reduce(Int64(0)) { $0 + $1.size }
    if Double(dirty) / Double(total) >= config.minCleanableDirtyRatio { return true }
    if config.maxCompactionLagMillis < Int64.max,
      let newest = SegmentFiles.maxTimestamp(folder: folder, base: firstDirty.base, fileSystem: fileSystem),
      RecordTimestamp.span(from: newest, to: nowMillis) > config.maxCompactionLagMillis
    {
      return true
    }
    return false
  }

  /// Pass one: the last offset of every key in `inputs`. With two or more inputs on a plain
  /// file system the later half (by bytes) is mapped on a second thread into a map of its own,
  /// and the smaller map is then merged into the larger (the larger offset wins, so the order
  /// does not matter): both cores hash keys, and each reader's read-ahead checks CRCs beside
  /// them. Memory during pass one: up to two maps.
  func buildKeyMap(_ inputs: [Input], cleanedEnd: Int64) throws(StorageError) -> KeyMap {
    let split = Self.halfway(inputs)
    guard fileSystem.isPlain, split > 0, split < inputs.count else {
      return try mapKeys(inputs[...], cleanedEnd: cleanedEnd)
    }
    var later: Result<KeyMap, StorageError>?
    guard
      let work = BackgroundWork.start({ [self] in
        later = Result { () throws(StorageError) in try mapKeys(inputs[split...], cleanedEnd: cleanedEnd) }
      })
    else { return try mapKeys(inputs[...], cleanedEnd: cleanedEnd) }
    let earlier = Result { () throws(StorageError) in try mapKeys(inputs[..<split], cleanedEnd: cleanedEnd) }
    work.wait()
    let first = try earlier.get()
    guard let second = try later?.get() else { return try mapKeys(inputs[split...], cleanedEnd: cleanedEnd) }
    return first.count > second.count ? first.merging(second) : second.merging(first)
  }

  /// The index that splits `inputs` into two runs of about equal bytes.
  private static func halfway(_ inputs: [Input]) -> Int {
    let total = inputs.reduce(Int64(0)) { $0 + $1.size }
    var bytes: Int64 = 0
    for (index, input) in inputs.enumerated() {
      if bytes + input.size / 2 >= total / 2 { return index }
      bytes += input.size
    }
    return inputs.count
  }

  private func mapKeys(_ inputs: ArraySlice<Input>, cleanedEnd: Int64) throws(StorageError) -> KeyMap {
    let map = KeyMap()
    // A batch's keys are hashed first, then put, their slots prefetched ahead: see `KeyMap.prefetch`.
    var pending: [(hash: KeyHash, offset: Int64)] = []
    pending.reserveCapacity(4096)
    for input in inputs {
      try forEachBatch(of: input, cleanedEnd: cleanedEnd, checkCRC: true) { (_, decoded) throws(StorageError) in
        pending.removeAll(keepingCapacity: true)
        let baseOffset = decoded.baseOffset
        do throws(BatchDecodeError) {
          try decoded.forEachCleanerRecord { record in
            guard record.keyLength >= 0 else { return }
            let hash = KeyHash(UnsafeRawBufferPointer(start: decoded.base + record.keyStart, count: record.keyLength))
            pending.append((hash, baseOffset &+ record.offsetDelta))
          }
        } catch {
          throw .corruptBatch(file: FileNames.logFile(in: folder, base: input.base), position: 0, reason: error)
        }
        // Slots are prefetched a fixed distance ahead of the puts (`KeyMap.prefetchDistance`).
        let count = pending.count
        for index in 0..<min(KeyMap.prefetchDistance, count) { map.prefetch(pending[index].hash) }
        for index in 0..<count {
          if index + KeyMap.prefetchDistance < count { map.prefetch(pending[index + KeyMap.prefetchDistance].hash) }
          map.put(pending[index].hash, offset: pending[index].offset)
        }
      }
    }
    return map
  }

  /// Pass two: writes the cleaned segments, `BASE.log.cleaned` and its indexes, one per group
  /// of consecutive inputs that together fit in `segment.bytes` (a group that keeps nothing
  /// joins the next, or the one before when it is the last). Returns what was written, or
  /// nothing when no record at all would be kept (the sealed segments are then left as they are).
  func writeCleaned(_ inputs: [Input], map: KeyMap, cleanedEnd: Int64, nowMillis: Int64) throws(StorageError) -> [Output] {
    let filter = BatchFilter(
      keeping: KeptOffsets(map), nowMillis: nowMillis, deleteRetentionMillis: config.deleteRetentionMillis)
    var outputs: [Output] = []
    var writer: CleanedSegmentWriter?
    var groupBytes: Int64 = 0
    do {
      for input in inputs {
        if let current = writer, current.records > 0,
          groupBytes + input.size > config.segmentBytes || input.end - current.base > Int64(Int32.max)
        {
          try current.finish()
          outputs.append(Output(base: current.base, end: input.base, bytes: current.size))
          writer = nil
        }
        if let current = writer, input.end - current.base > Int64(Int32.max) {
          current.discard()  // kept nothing so far, and cannot take more offsets: left as it is
          writer = nil
        }
        if writer == nil {
          writer = try CleanedSegmentWriter(folder: folder, base: input.base, fileSystem: fileSystem)
          groupBytes = 0
        }
        guard let current = writer else { break }
        groupBytes += input.size
        try forEachBatch(of: input, cleanedEnd: cleanedEnd, checkCRC: false, skipping: filter.keepsNothing) {
          (stored, decoded) throws(StorageError) in
          let start = current.buffer.count
          let kept: Int
          do throws(BatchDecodeError) { kept = try filter.filter(stored, decoded: decoded, into: current.buffer) } catch {
            throw .corruptBatch(file: FileNames.logFile(in: folder, base: input.base), position: 0, reason: error)
          }
          if kept > 0 { try current.didAppend(batchAt: start, records: kept) }
        }
      }
      if let current = writer, let last = inputs.last {
        if current.records > 0 {
          try current.finish()
          outputs.append(Output(base: current.base, end: last.end, bytes: current.size))
        } else {
          current.discard()
          if !outputs.isEmpty, last.end - outputs[outputs.count - 1].base <= Int64(Int32.max) {
            outputs[outputs.count - 1].end = last.end
          }
        }
        writer = nil
      }
    } catch {
      writer?.discard()
      for output in outputs { discard(output) }
      throw error
    }
    return outputs
  }

  func discard(_ output: Output) {
    for ext in FileNames.segmentExtensions {
      try? fileSystem.unlink(FileNames.cleanedFile(in: folder, base: output.base, extension: ext))
    }
  }

  /// Calls `body` with every batch of a sealed segment: as stored, and readable (decompressed),
  /// except those `skipping` tells by their header alone to pass over.
  private func forEachBatch(
    of input: Input, cleanedEnd: Int64, checkCRC: Bool, skipping: (RecordBatchView) -> Bool = { _ in false },
    _ body: (RecordBatchView, RecordBatchView) throws(StorageError) -> Void
  ) throws(StorageError) {
    let path = FileNames.logFile(in: folder, base: input.base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch { throw .io(error, operation: "open", path: path) }
    defer { try? fileSystem.close(fd) }
    let size: Int64
    do { size = try fileSystem.size(of: fd, path: path) } catch { throw .io(error, operation: "stat", path: path) }
    let reader = SegmentBatchReader(fd: fd, path: path, fileSystem: fileSystem, from: 0, expecting: input.base, fileSize: size)
    reader.gapsAllowed = input.base < cleanedEnd
    reader.readsAhead = checkCRC
    let decompressed = ByteBuffer(capacity: 0)
    while true {
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try reader.next(validateCRC: checkCRC) } catch { throw .io(error, operation: "read", path: path) }
      switch outcome {
      case .batch(let batch, let at):
        if batch.isControl || skipping(batch) { continue }
        let decoded: RecordBatchView
        do { decoded = try batch.decompressed(into: decompressed, maxMessageBytes: maxMessageBytes) } catch {
          throw .corruptBatch(file: path, position: at, reason: error)
        }
        try body(batch, decoded)
      case .end:
        return
      case .incomplete(let at):
        throw .corruptBatch(file: path, position: at, reason: .truncated(needed: BatchLayout.headerSize, available: 0))
      case .corrupt(let at, let reason):
        throw .corruptBatch(file: path, position: at, reason: reason)
      }
    }
  }
}
