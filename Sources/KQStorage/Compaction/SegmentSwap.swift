import KQLog
/// Replacing segments by a cleaned one, so that a crash at any point leaves either the old
/// segments or the new one, never a mix and never a loss (Kafka's `.cleaned` → `.swap`
/// protocol; FORMAT.md, "Compaction"). Runs under the partition's append lock.
///
/// 1. `BASE.log.cleaned`, `.index.cleaned`, `.timeindex.cleaned` are complete and fsynced.
/// 2. The indexes, then the log, are renamed to `BASE.END.*.swap`; the folder is fsynced. The
///    log's swap name is the commit point: from then on recovery finishes the replacement.
/// 3. `BASE.END.log.swap` is renamed over `BASE.log`; fsync.
/// 4. The old segments with bases in (BASE, END) are removed, two at a time; fsync.
/// 5. The index swaps are renamed over `BASE.index` and `BASE.timeindex`; fsync.
///
/// Readers: one inside an old segment holds it open and reads it to its end; the next name it
/// looks for is either still there (old, whole) or gone with its own segment, and it then
/// continues in the segment now holding that offset (`PartitionReader`). Between steps 3 and
/// 5 a listing hides the old segments in (BASE, END) (`SegmentFiles.bases`).
enum SegmentSwap {
  /// Steps 2 to 5 for the cleaned segment at `base` replacing the segments up to `end`.
  static func replace(base: Int64, end: Int64, folder: String, fileSystem: FileSystem) throws(StorageError) {
    for ext in [".index", ".timeindex", ".log"] {
      try rename(
        FileNames.cleanedFile(in: folder, base: base, extension: ext),
        to: FileNames.swapFile(in: folder, base: base, end: end, extension: ext), fileSystem: fileSystem)
    }
    try syncFolder(folder, fileSystem: fileSystem)
    try finish(base: base, end: end, folder: folder, fileSystem: fileSystem)
  }

  /// Steps 3 to 5, from wherever a crash stopped them.
  private static func finish(base: Int64, end: Int64, folder: String, fileSystem: FileSystem) throws(StorageError) {
    let logSwap = FileNames.swapFile(in: folder, base: base, end: end, extension: ".log")
    if fileSystem.exists(logSwap) {
      try rename(logSwap, to: FileNames.logFile(in: folder, base: base), fileSystem: fileSystem)
      try syncFolder(folder, fileSystem: fileSystem)
    }
    let replaced = try oldBases(in: folder, fileSystem: fileSystem).filter { $0 > base && $0 < end }
    try remove(replaced, folder: folder, fileSystem: fileSystem)
    if !replaced.isEmpty { try syncFolder(folder, fileSystem: fileSystem) }
    for ext in [".index", ".timeindex"] {
      let final = FileNames.segmentFile(in: folder, base: base, extension: ext)
      let swap = FileNames.swapFile(in: folder, base: base, end: end, extension: ext)
      let cleaned = FileNames.cleanedFile(in: folder, base: base, extension: ext)
      if fileSystem.exists(swap) {
        try rename(swap, to: final, fileSystem: fileSystem)
      } else if fileSystem.exists(cleaned) {
        // A power cut lost this rename of step 2 but kept the log's: the index is complete.
        try rename(cleaned, to: final, fileSystem: fileSystem)
      }
    }
    try syncFolder(folder, fileSystem: fileSystem)
  }

  /// Finishes or rolls back what a cleaner left (called under the append lock by a writer
  /// opening the partition, and by the cleaner before it starts). A live cleaner swaps only
  /// under the append lock, so a swap found here is a dead one's; but it writes its `.cleaned`
  /// files without that lock, so they are removed only with `removingCleaned` (the caller
  /// holds the cleaner's lock, `kq.cleaner`). Returns whether anything was found.
  @discardableResult
  static func recover(folder: String, fileSystem: FileSystem, removingCleaned: Bool) throws(StorageError) -> Bool {
    let names: [String]
    do { names = try fileSystem.listDirectoryCompletely(folder) } catch {
      throw .io(error, operation: "list", path: folder)
    }
    let swaps = names.compactMap(FileNames.swapRange(ofFileName:))
    let cleaned = removingCleaned ? names.filter(FileNames.isCleaned) : []
    guard !swaps.isEmpty || !cleaned.isEmpty else { return false }
    let uncommitted = Set(cleaned.compactMap { FileNames.segmentBase(ofFileName: $0, suffix: ".log.cleaned") })
    var groups: [Int64: Int64] = [:]
    for swap in swaps { groups[swap.base] = swap.end }
    for (base, end) in groups.sorted(by: { $0.key < $1.key }) {
      let hasLog = swaps.contains { $0.base == base && $0.end == end && $0.extension == ".log" }
      if !hasLog && uncommitted.contains(base) {
        // Step 2 was cut short before the log's rename: the old segments stand.
        for ext in FileNames.segmentExtensions {
          try? fileSystem.unlink(FileNames.swapFile(in: folder, base: base, end: end, extension: ext))
        }
        continue
      }
      try finish(base: base, end: end, folder: folder, fileSystem: fileSystem)
    }
    for name in cleaned { try? fileSystem.unlink(folder + "/" + name) }
    try syncFolder(folder, fileSystem: fileSystem)
    return true
  }

  /// Removes the segments at `bases`. On a plain file system every other one is removed by a
  /// second thread: unlinking a large cached file is kernel work (its pages and blocks freed,
  /// about 25 ms per 128 MiB here), and two go at once on two cores. Any subset removed is a
  /// state `finish` completes, and a reader in one whose successor went first treats it as
  /// removed (`PartitionReader`, `isBeingReplaced`).
  private static func remove(_ bases: [Int64], folder: String, fileSystem: FileSystem) throws(StorageError) {
    let alternate = bases.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
    var alternateFailure: StorageError?
    let work =
      fileSystem.isPlain && !alternate.isEmpty
      ? BackgroundWork.start {
        do throws(StorageError) {
          for old in alternate { try SegmentFiles.remove(folder: folder, base: old, fileSystem: fileSystem) }
        } catch { alternateFailure = error }
      } : nil
    var failure: StorageError?
    do throws(StorageError) {
      for (index, old) in bases.enumerated() where work == nil || index % 2 == 0 {
        try SegmentFiles.remove(folder: folder, base: old, fileSystem: fileSystem)
      }
    } catch { failure = error }
    work?.wait()
    if let failure = failure ?? alternateFailure { throw failure }
  }

  /// The segment bases as the folder shows them, unfiltered.
  private static func oldBases(in folder: String, fileSystem: FileSystem) throws(StorageError) -> [Int64] {
    do { return try fileSystem.listDirectoryCompletely(folder).compactMap { FileNames.segmentBase(ofFileName: $0) }.sorted() }
    catch { throw .io(error, operation: "list", path: folder) }
  }

  /// The bases a listing `names` shows that a swap between steps 3 and 5 is replacing: they
  /// lie in (BASE, END) of an index swap whose log swap is gone (already renamed into place).
  static func replacedBases(in names: [String]) -> [ClosedRange<Int64>] {
    var ranges: [ClosedRange<Int64>] = []
    let swaps = names.compactMap(FileNames.swapRange(ofFileName:))
    for swap in swaps where swap.extension != ".log" {
      let hasLog = swaps.contains { $0.base == swap.base && $0.end == swap.end && $0.extension == ".log" }
      if !hasLog && swap.end - swap.base >= 2 { ranges.append((swap.base + 1)...(swap.end - 1)) }
    }
    return ranges
  }

  private static func rename(_ from: String, to: String, fileSystem: FileSystem) throws(StorageError) {
    do { try fileSystem.rename(from, to: to) } catch { throw .io(error, operation: "rename", path: from) }
  }

  private static func syncFolder(_ folder: String, fileSystem: FileSystem) throws(StorageError) {
    do { try fileSystem.syncDirectory(folder) } catch { throw .io(error, operation: "fsync", path: folder) }
  }
}
