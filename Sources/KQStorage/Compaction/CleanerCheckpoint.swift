import KQLog
/// The cleaner's checkpoint of a partition, `TOPIC-N/cleaner-offset-checkpoint`, in the text
/// format of Kafka's `cleaner-offset-checkpoint` (version 0, one entry):
///
///     0
///     1
///     TOPIC N OFFSET
///
/// OFFSET is the cleaned end: every offset below it lies in segments the cleaner wrote (or in
/// segments it was about to replace), so offset gaps there are compaction's, not damage
/// (FORMAT.md, "Compaction"). It only grows, and is written (atomically, fsynced) before the
/// cleaned segments it covers replace the old ones.
package enum CleanerCheckpoint {
  /// The cleaned end of the partition in `folder`: 0 when it was never cleaned, or when the
  /// file does not parse (then gaps are damage, as in a partition never cleaned).
  package static func cleanedEnd(folder: String, fileSystem: FileSystem) -> Int64 {
    parse(try? fileSystem.readSmallFile(FileNames.cleanerCheckpoint(in: folder), limit: 4096)) ?? 0
  }

  /// Whether the file is present and does not parse (for `kq verify`).
  package static func isDamaged(folder: String, fileSystem: FileSystem) -> Bool {
    guard let bytes = try? fileSystem.readSmallFile(FileNames.cleanerCheckpoint(in: folder), limit: 4096) else {
      return false
    }
    return parse(bytes) == nil
  }

  static func parse(_ bytes: [UInt8]?) -> Int64? {
    guard let bytes, let text = String(validating: bytes, as: UTF8.self) else { return nil }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.count == 4, lines[0] == "0", lines[1] == "1", lines[3].isEmpty else { return nil }
    let fields = lines[2].split(separator: " ", omittingEmptySubsequences: false)
    guard fields.count == 3, let offset = Int64(fields[2]), offset >= 0 else { return nil }
    return offset
  }

  /// Raises the cleaned end to `offset` (never lowers it): temporary file, fsync, rename,
  /// fsync of the folder.
  static func raise(to offset: Int64, folder: String, fileSystem: FileSystem) throws(StorageError) {
    guard offset > cleanedEnd(folder: folder, fileSystem: fileSystem) else { return }
    let name = folder.split(separator: "/").last.map(String.init) ?? folder
    let partition = name.lastIndex(of: "-").map { String(name[name.index(after: $0)...]) } ?? "0"
    let text = "0\n1\n" + FileNames.topic(ofPartitionFolder: folder) + " " + partition + " " + String(offset) + "\n"
    let path = FileNames.cleanerCheckpoint(in: folder)
    do {
      try fileSystem.replaceAtomically(
        path, with: Array(text.utf8), directory: folder,
        temporaryPath: FileNames.cleanerCheckpointTemporary(in: folder))
    } catch { throw .io(error, operation: "write", path: path) }
  }
}
