import Glibc
import KQLog

extension SegmentFiles {
  /// The timestamp of the first record of the segment at `base`, as readers see it; nil when
  /// it has none or cannot be read. A batch with a delete horizon (FORMAT.md, "Compaction")
  /// stores the horizon as its baseTimestamp, so its first record is read for its own.
  static func firstTimestamp(folder: String, base: Int64, maxMessageBytes: Int, fileSystem: FileSystem) -> Int64? {
    let path = FileNames.logFile(in: folder, base: base)
    guard let fd = try? fileSystem.open(path, O_RDONLY) else { return nil }
    defer { try? fileSystem.close(fd) }
    guard let size = try? fileSystem.size(of: fd, path: path),
      let header = try? BatchHeader.read(from: fd, at: 0, fileSize: size, fileSystem: fileSystem, path: path)
    else { return nil }
    guard header.hasDeleteHorizon && !header.isLogAppendTime else {
      return header.firstTimestamp >= 0 ? header.firstTimestamp : nil
    }
    let reader = SegmentBatchReader(
      fd: fd, path: path, fileSystem: fileSystem, from: 0, expecting: nil, fileSize: size, mapping: false)
    reader.gapsAllowed = true  // a batch with a horizon was written by the cleaner
    guard case .batch(let batch, _)? = try? reader.next() else { return nil }
    var first: Int64?
    let decompressed = ByteBuffer(capacity: 0)
    guard let readable = try? batch.decompressed(into: decompressed, maxMessageBytes: maxMessageBytes) else { return nil }
    try? readable.forEachRecord { record in
      first = record.timestamp
      return false
    }
    return first.flatMap { $0 >= 0 ? $0 : nil }
  }
}
