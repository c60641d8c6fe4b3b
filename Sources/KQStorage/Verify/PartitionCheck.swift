import Glibc
import KQLog

/// Checks one partition folder (FORMAT.md, "Verifying and repairing"): every segment whole,
/// segments meeting where the one before ends (or at a listed unreadable range), indexes as
/// the log calls for, and the kq.lock checkpoint.
struct PartitionCheck {
  let folder: String
  let topic: String
  let partition: Int
  var segments: [SegmentCheck] = []
  var findings: [VerifyFinding] = []
  /// Gaps between clean segments, and those listed in kq.unreadable (nil: it does not parse).
  var gaps: [Range<Int64>] = []
  /// The cleaner's checkpoint: gaps below it are compaction's (`CleanerCheckpoint`).
  var cleanedEnd: Int64 = 0
  var listed: [Range<Int64>]? = []
  var checkpointIsBad = false
  /// The kq.lock checkpoint's recovery point, when it parses: every offset below it was synced.
  var recoveryPoint: Int64?
  var bytes: Int64 = 0

  /// The offset after the last the partition holds, damaged data included.
  var logEnd: Int64 {
    guard let last = segments.last else { return 0 }
    return max(last.end, last.failure?.highestHeld ?? last.end)
  }

  static func run(
    folder: String, topic: String, partition: Int, fileSystem: FileSystem, progress: (Int64) -> Void
  ) throws(StorageError) -> PartitionCheck {
    var check = PartitionCheck(folder: folder, topic: topic, partition: partition)
    // The checkpoint before the log: a writer only moves it up to what it appended first.
    let lockPath = FileNames.lockFile(in: folder)
    var checkpoint: PartitionLock.Checkpoint?
    do {
      if let bytes = try fileSystem.readSmallFile(lockPath, limit: 256), !bytes.isEmpty {
        checkpoint = PartitionLock.parse(bytes[...])
        check.recoveryPoint = checkpoint?.recoveryPoint
        if checkpoint == nil {
          check.checkpointIsBad = true
          check.add(file: lockPath, position: nil, .badCheckpoint)
        }
      }
    } catch { check.add(file: lockPath, position: nil, .unreadable(error)) }
    check.listed = UnreadableOffsets.read(folder: folder, fileSystem: fileSystem)
    check.cleanedEnd = CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem)
    if CleanerCheckpoint.isDamaged(folder: folder, fileSystem: fileSystem) {
      check.add(
        file: FileNames.cleanerCheckpoint(in: folder), position: nil,
        .badFile("not a cleaner checkpoint (lines 0, 1, then TOPIC PARTITION OFFSET)"))
    }
    let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
    let buffer = ByteBuffer(capacity: SegmentBatchReader.readSize)
    let decoded = ByteBuffer(capacity: 0)
    for (index, base) in bases.enumerated() {
      let segment = try SegmentCheck.run(
        folder: folder, base: base, isActive: index == bases.count - 1, fileSystem: fileSystem, buffer: buffer,
        decoded: decoded)
      check.bytes += segment.logSize
      progress(segment.logSize)
      check.segments.append(segment)
    }
    check.segments.removeAll { $0.isGone }
    check.judgeSegments()
    if let checkpoint, checkpoint.recoveryPoint > check.logEnd {
      check.add(file: lockPath, position: nil, .pastLogEnd(offset: checkpoint.recoveryPoint, logEnd: check.logEnd))
      check.checkpointIsBad = true
    }
    return check
  }

  /// `run` holding the partition's append lock, so that no append, roll, retention or
  /// compaction swap changes its files meanwhile (writers wait); nil when the partition was
  /// deleted meanwhile.
  static func runLocked(folder: String, topic: String, partition: Int, fileSystem: FileSystem) throws(StorageError)
    -> PartitionCheck?
  {
    let lock: PartitionLock
    do { lock = try PartitionLock(folder: folder, fileSystem: fileSystem) } catch {
      if case .topicDeleted = error { return nil }
      // A directory verify may not write, nothing here writes either: the first pass stands.
      if case .io(let errno, _, _) = error, errno.forbidsWriting { return nil }
      throw error
    }
    defer { lock.close() }
    do { try lock.acquire() } catch {
      if case .topicDeleted = error { return nil }
      throw error
    }
    defer { lock.release() }
    return try run(folder: folder, topic: topic, partition: partition, fileSystem: fileSystem) { _ in }
  }

  private mutating func add(file: String, position: Int64?, _ kind: VerifyFinding.Kind) {
    findings.append(VerifyFinding(topic: topic, partition: partition, file: file, position: position, kind: kind))
  }

  private mutating func judgeSegments() {
    for (index, segment) in segments.enumerated() {
      let log = FileNames.logFile(in: folder, base: segment.base)
      let isSealed = index < segments.count - 1
      if let failure = segment.failure {
        add(
          file: log, position: failure.position,
          .damagedBatch(
            failure.reason, firstOffset: failure.expected,
            endOffset: isSealed ? segments[index + 1].base : failure.intact?.baseOffset))
        continue
      }
      // Torn below the recovery point is no unfinished write: the checkpoint's finding names it.
      if let torn = segment.tornAt, recoveryPoint.map({ $0 <= segment.end }) ?? true {
        add(file: log, position: torn, .tornTail(bytes: segment.logSize - torn))
      }
      for (path, onDisk, expected) in [
        (FileNames.offsetIndexFile(in: folder, base: segment.base), segment.indexOnDisk, segment.expectedIndex),
        (FileNames.timeIndexFile(in: folder, base: segment.base), segment.timeIndexOnDisk, segment.expectedTimeIndex(sealed: isSealed)),
      ] {
        // A segment listed as the newest may be sealed by a roll while it is read: its
        // `.timeindex` then carries the sealing entry.
        let sealedMeanwhile = !isSealed && path.hasSuffix(".timeindex") && onDisk == segment.expectedTimeIndex(sealed: true)
        switch sealedMeanwhile ? .matches : SegmentCheck.compare(onDisk, expected) {
        case .matches: break
        case .behind: add(file: path, position: Int64(onDisk.count), .indexBehind)
        case .mismatch: add(file: path, position: nil, .indexMismatch)
        }
      }
      if isSealed {
        let next = segments[index + 1].base
        // Compaction's gaps: a cleaned segment may end before the next (FORMAT.md, "Compaction").
        // Part of one may have been moved aside by a repair: listed, it is a gap like any other.
        if segment.end < next && segment.base < cleanedEnd && next <= cleanedEnd {
          if let moved = UnreadableOffsets.movedPart(of: segment.end..<next, in: listed ?? []) { gaps.append(moved) }
          continue
        }
        if segment.end < next {
          gaps.append(segment.end..<next)
          if !(listed ?? []).contains(segment.end..<next) {
            add(
              file: FileNames.logFile(in: folder, base: next), position: nil,
              .offsetGap(expected: segment.end, found: next))
          }
        } else if segment.end > next {
          add(file: FileNames.logFile(in: folder, base: next), position: nil, .offsetGap(expected: segment.end, found: next))
        }
      }
    }
    if let listed {
      // Ranges retention has since passed (below the oldest segment) are stale, not wrong.
      let logStart = segments.first?.base ?? 0
      if !listed.allSatisfy({ gaps.contains($0) || $0.upperBound <= logStart }) {
        add(file: UnreadableOffsets.path(in: folder), position: nil, .unreadableListMismatch)
      }
    } else {
      add(file: UnreadableOffsets.path(in: folder), position: nil, .unreadableListMismatch)
    }
  }

  /// Whether a sealed segment must be moved aside whole: damaged, or running past the next.
  func mustMoveAside(_ index: Int) -> Bool {
    guard index < segments.count - 1 else { return false }
    return segments[index].failure != nil || segments[index].end > segments[index + 1].base
  }
}
