import Glibc
import KQLog

/// Checks a sealed segment whole: every batch complete and passing `BatchCheck` (CRC
/// included), offsets continuing from the segment's base up to the next segment's base.
/// Recovery after a reboot uses it on the segments written since the last sync.
enum SealedSegmentCheck {
  /// Throws `damagedLog` at the first batch that fails (naming the offsets from it to where
  /// intact records or the next segment begin), or `offsetGap` when the segment's records do
  /// not end where the next segment begins.
  static func check(folder: String, base: Int64, nextBase: Int64, fileSystem: FileSystem) throws(StorageError) {
    let path = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch {
      if error == .noSuchFile { return }  // removed by retention meanwhile
      throw .io(error, operation: "open", path: path)
    }
    defer { try? fileSystem.close(fd) }
    let size: Int64
    do { size = try fileSystem.size(of: fd, path: path) } catch { throw .io(error, operation: "stat", path: path) }
    let reader = SegmentBatchReader(fd: fd, path: path, fileSystem: fileSystem, from: 0, expecting: base, fileSize: size)
    // A cleaned segment may end before the next begins (FORMAT.md, "Compaction").
    let cleanedEnd = CleanerCheckpoint.cleanedEnd(folder: folder, fileSystem: fileSystem)
    reader.gapsAllowed = base < cleanedEnd
    while true {
      let expected = reader.expectedOffset ?? base
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try reader.next() } catch { throw .io(error, operation: "read", path: path) }
      let failure: (position: Int64, reason: BatchDecodeError?)
      switch outcome {
      case .batch: continue
      case .end:
        guard expected == nextBase || (reader.gapsAllowed && expected < nextBase && nextBase <= cleanedEnd)
          || UnreadableOffsets.covers(expected..<nextBase, folder: folder, fileSystem: fileSystem)
        else {
          throw .offsetGap(file: FileNames.logFile(in: folder, base: nextBase), expected: expected, found: nextBase)
        }
        return
      case .incomplete(let at): failure = (at, nil)
      case .corrupt(let at, let reason): failure = (at, reason)
      }
      let reason: BatchDecodeError
      let intact: TailDamage.IntactBatch?
      do {
        if let known = failure.reason {
          reason = known
        } else {
          reason = try TailDamage.incompleteReason(
            fd: fd, path: path, fileSystem: fileSystem, at: failure.position, fileSize: size)
        }
        intact = try TailDamage.firstIntactBatch(
          fd: fd, path: path, fileSystem: fileSystem, after: failure.position, fileSize: size, expected: expected)
      } catch { throw .io(error, operation: "read", path: path) }
      throw .damagedLog(
        file: path, position: failure.position, reason: reason, firstOffset: expected,
        endOffset: intact?.baseOffset ?? nextBase)
    }
  }
}
