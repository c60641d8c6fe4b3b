import Glibc
import KQLog

/// Writes one cleaned segment, `BASE.log.cleaned` with its `.index.cleaned` and
/// `.timeindex.cleaned` (FORMAT.md, "Compaction"): batches appended in offset order through a
/// 1 MiB buffer, index entries by the same rule as appends (`SegmentIndexer`), all three
/// files fsynced by `finish()`.
final class CleanedSegmentWriter {
  let base: Int64
  let folder: String
  private let fileSystem: FileSystem
  private let logFD: CInt
  private let logPath: String
  private let output = ByteBuffer(capacity: 1 << 20)
  private let offsetEntries = ByteBuffer(capacity: 4096)
  private let timeEntries = ByteBuffer(capacity: 4096)
  private var indexer: SegmentIndexer
  /// Bytes written to the file so far (before `output`).
  private var written: Int64 = 0
  private(set) var records = 0
  private(set) var batches = 0
  var size: Int64 { written + Int64(output.count) }

  init(folder: String, base: Int64, fileSystem: FileSystem) throws(StorageError) {
    self.folder = folder
    self.base = base
    self.fileSystem = fileSystem
    indexer = SegmentIndexer(base: base)
    logPath = FileNames.cleanedFile(in: folder, base: base, extension: ".log")
    for ext in FileNames.segmentExtensions {  // a stale one from a cleaner that died
      try? fileSystem.unlink(FileNames.cleanedFile(in: folder, base: base, extension: ext))
    }
    do { logFD = try fileSystem.open(logPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644) } catch {
      throw .io(error, operation: "create", path: logPath)
    }
  }

  deinit { try? fileSystem.close(logFD) }

  /// The buffer cleaned batches are appended to; `didAppend` must follow each one.
  var buffer: ByteBuffer { output }

  /// Takes note of the batch just appended at `start` of the buffer (its index entries), and
  /// writes the buffer out once it holds 1 MiB.
  func didAppend(batchAt start: Int, records kept: Int) throws(StorageError) {
    let p = UnsafeRawPointer(output.base + start)
    let size = output.count - start
    let lastOffset = p.bigEndian(Int64.self, at: BatchLayout.baseOffset)
      &+ Int64(p.bigEndian(Int32.self, at: BatchLayout.lastOffsetDelta))
    indexer.willAppend(
      position: written + Int64(start), size: size, lastOffset: lastOffset,
      maxTimestamp: p.bigEndian(Int64.self, at: BatchLayout.maxTimestamp), offsetEntries: offsetEntries,
      timeEntries: timeEntries)
    records += kept
    batches += 1
    if output.count >= 1 << 20 { try flush() }
  }

  private func flush() throws(StorageError) {
    guard output.count > 0 else { return }
    do { try fileSystem.write(logFD, from: output.base, count: output.count, at: written, path: logPath) } catch {
      throw .io(error, operation: "write", path: logPath)
    }
    written += Int64(output.count)
    output.count = 0
  }

  /// Writes what is left, the final time-index entry and both indexes, and fsyncs all three.
  func finish() throws(StorageError) {
    try flush()
    do { try fileSystem.syncData(logFD, path: logPath) } catch { throw .io(error, operation: "fsync", path: logPath) }
    indexer.appendTimeEntryIfGrown(into: timeEntries)
    try writeIndex(offsetEntries, extension: ".index")
    try writeIndex(timeEntries, extension: ".timeindex")
  }

  private func writeIndex(_ entries: ByteBuffer, extension ext: String) throws(StorageError) {
    let path = FileNames.cleanedFile(in: folder, base: base, extension: ext)
    do {
      let fd = try fileSystem.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
      defer { try? fileSystem.close(fd) }
      if entries.count > 0 { try fileSystem.write(fd, from: entries.base, count: entries.count, at: 0, path: path) }
      try fileSystem.syncData(fd, path: path)
    } catch { throw .io(error, operation: "write", path: path) }
  }

  /// Removes the files written (the cleaning was abandoned).
  func discard() {
    for ext in FileNames.segmentExtensions {
      try? fileSystem.unlink(FileNames.cleanedFile(in: folder, base: base, extension: ext))
    }
  }
}
