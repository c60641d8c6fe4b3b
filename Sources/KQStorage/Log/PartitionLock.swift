import Glibc
import KQLog

/// The append lock of a partition: `flock` on `TOPIC-N/kq.lock`, held by one writer at a
/// time for the length of an append. The OS drops it when the process dies, so a killed
/// writer leaves no stale lock. The file also keeps a small checkpoint (FORMAT.md, "kq.lock"):
/// the boot the last writer ran in (a reboot may have lost unsynced pages, so the next writer
/// checks the whole active segment), when retention last ran, and the recovery point.
final class PartitionLock {
  struct Checkpoint: Equatable {
    var bootID: String
    var lastRetentionMillis: Int64
    /// Every record below this offset is durable (synced). After a reboot, the segments from
    /// the one holding it on are checked, and only a final batch at or past it may be cut
    /// though it is whole.
    var recoveryPoint: Int64 = 0
  }

  private static let magic = "kq-lock 1 "
  let path: String
  private let folder: String
  private var fd: CInt
  private let fileSystem: FileSystem
  /// The lock file's identity, taken when opened.
  private let identity: FileIdentity

  init(folder: String, fileSystem: FileSystem) throws(StorageError) {
    path = FileNames.lockFile(in: folder)
    self.fileSystem = fileSystem
    do { fd = try fileSystem.open(path, O_RDWR | O_CREAT, mode: 0o600) } catch {
      // The topic's configuration was read, but its partition folder is gone: deleted since.
      if error == .noSuchFile { throw .topicDeleted(FileNames.topic(ofPartitionFolder: folder)) }
      throw .io(error, operation: "open", path: path)
    }
    self.folder = folder
    do { identity = try fileSystem.identity(of: fd, path: path) } catch {
      try? fileSystem.close(fd)
      throw .io(error, operation: "stat", path: path)
    }
  }

  func close() {
    if fd >= 0 { try? fileSystem.close(fd) }
    fd = -1
  }

  /// Takes the lock, then makes sure the partition still exists: a deletion takes this lock,
  /// moves the partition's folder out of its name and removes it (`retirePartitionFolder`), so
  /// the lock file is still under the partition's name exactly when the partition was not
  /// deleted. This descriptor keeps its inode from being reused, so a topic created again at
  /// the same name has a lock file of another identity. Throws `topicDeleted` otherwise.
  func acquire() throws(StorageError) {
    do { _ = try fileSystem.lock(fd, path: path) } catch { throw .io(error, operation: "flock", path: path) }
    let named: FileIdentity?
    do { named = try fileSystem.identity(at: path) } catch {
      release()
      throw .io(error, operation: "stat", path: path)
    }
    guard named == identity else {
      release()
      throw .topicDeleted(FileNames.topic(ofPartitionFolder: folder))
    }
  }

  func release() { fileSystem.unlock(fd) }

  /// The stored checkpoint; nil when the file is empty or does not parse (then nothing is
  /// known: not the boot, not what was synced).
  func readCheckpoint() -> Checkpoint? {
    var bytes = [UInt8](repeating: 0, count: Self.maxLength)
    let got = (try? bytes.withUnsafeMutableBytes { raw throws(Errno) -> Int in
      guard let base = raw.baseAddress else { return 0 }
      return try fileSystem.read(fd, into: base, count: raw.count, at: 0, path: path)
    }) ?? 0
    return Self.parse(bytes.prefix(got))
  }

  /// The longest checkpoint line read; a longer file is not a checkpoint.
  private static let maxLength = 128

  /// "kq-lock 1 BOOT_ID RETENTION_MILLIS RECOVERY_POINT\n", every number a non-negative
  /// decimal; anything else is nil.
  static func parse(_ bytes: ArraySlice<UInt8>) -> Checkpoint? {
    guard bytes.count < maxLength, let text = String(validating: bytes, as: UTF8.self), text.hasPrefix(magic),
      text.hasSuffix("\n")
    else { return nil }
    let fields = text.dropLast().split(separator: " ", omittingEmptySubsequences: false)
    guard fields.count == 5, !fields[2].isEmpty, let millis = Int64(fields[3]), millis >= 0,
      let recoveryPoint = Int64(fields[4]), recoveryPoint >= 0
    else { return nil }
    return Checkpoint(bootID: String(fields[2]), lastRetentionMillis: millis, recoveryPoint: recoveryPoint)
  }

  /// For readers, which take no lock: the recovery point when the partition's checkpoint
  /// names another boot than this one (a reboot since its last writer, whose unsynced final
  /// batch the next writer may cut), else nil.
  static func unsyncedFrom(folder: String, fileSystem: FileSystem) -> Int64? {
    guard let bytes = try? fileSystem.readSmallFile(FileNames.lockFile(in: folder), limit: maxLength),
      let checkpoint = parse(bytes[...]), checkpoint.bootID != BootIdentity.current(fileSystem: fileSystem)
    else { return nil }
    return checkpoint.recoveryPoint
  }

  /// Empties the checkpoint (unknown: the next writer checks every segment); under the lock.
  func forgetCheckpoint() { try? fileSystem.truncate(fd, to: 0, path: path) }

  /// Writes the checkpoint in place; called under the lock.
  func writeCheckpoint(_ checkpoint: Checkpoint) {
    let text = Self.magic + checkpoint.bootID + " " + String(checkpoint.lastRetentionMillis) + " "
      + String(checkpoint.recoveryPoint) + "\n"
    let bytes = Array(text.utf8)
    try? fileSystem.write(bytes, to: fd, at: 0, path: path)
    try? fileSystem.truncate(fd, to: Int64(bytes.count), path: path)
  }
}

/// The kernel's identity of this boot (`/proc/sys/kernel/random/boot_id`).
enum BootIdentity {
  static func current(fileSystem: FileSystem) -> String {
    guard let bytes = try? fileSystem.readSmallFile("/proc/sys/kernel/random/boot_id", limit: 64) else {
      return "unknown"
    }
    let text = String(decoding: bytes, as: UTF8.self).filter { $0 != "\n" && $0 != " " }
    return text.isEmpty ? "unknown" : text
  }
}
