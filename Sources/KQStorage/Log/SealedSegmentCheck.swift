import Glibc

/// Checks a sealed segment whole: every batch complete, its CRC right, offsets continuing
/// from the segment's base up to the next segment's base. Recovery after a reboot uses it on
/// the segments written since the last sync.
enum SealedSegmentCheck {
  static func isIntact(folder: String, base: Int64, nextBase: Int64, fileSystem: FileSystem) throws(StorageError) -> Bool {
    let path = FileNames.logFile(in: folder, base: base)
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDONLY) } catch {
      if error == .noSuchFile { return true }  // removed by retention meanwhile
      throw .io(error, operation: "open", path: path)
    }
    defer { try? fileSystem.close(fd) }
    let size: Int64
    do { size = try fileSystem.size(of: fd, path: path) } catch { throw .io(error, operation: "stat", path: path) }
    let reader = SegmentBatchReader(fd: fd, path: path, fileSystem: fileSystem, from: 0, fileSize: size)
    var nextOffset = base
    while true {
      let outcome: SegmentBatchReader.Outcome
      do { outcome = try reader.next() } catch { throw .io(error, operation: "read", path: path) }
      switch outcome {
      case .batch(let batch, _):
        guard batch.baseOffset == nextOffset else { return false }
        nextOffset = batch.nextOffset
      case .end: return nextOffset == nextBase
      case .incomplete, .corrupt: return false
      }
    }
  }
}
