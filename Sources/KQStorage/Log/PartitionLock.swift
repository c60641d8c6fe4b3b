import Glibc

/// The append lock of a partition: `flock` on `TOPIC-N/kq.lock`, held by one writer at a
/// time for the length of an append. The OS drops it when the process dies, so a killed
/// writer leaves no stale lock. The file also keeps a small checkpoint (FORMAT.md, "kq.lock"):
/// the boot the last writer ran in (a reboot may have lost unsynced pages, so the next writer
/// checks the whole active segment) and when retention last ran.
final class PartitionLock {
  struct Checkpoint: Equatable {
    var bootID: String
    var lastRetentionMillis: Int64
    /// Every segment below this base offset is durable (synced); a reboot only requires
    /// checking the segments from here on.
    var recoveryBase: Int64 = 0
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

  /// The stored checkpoint; an empty or unreadable file gives one that matches no boot.
  func readCheckpoint() -> Checkpoint {
    var bytes = [UInt8](repeating: 0, count: 128)
    let got = (try? bytes.withUnsafeMutableBytes { raw throws(Errno) in
      try fileSystem.read(fd, into: raw.baseAddress!, count: raw.count, at: 0, path: path)
    }) ?? 0
    let text = String(decoding: bytes.prefix(got), as: UTF8.self)
    // "kq-lock 1 BOOT_ID RETENTION_MS RECOVERY_BASE\n"
    guard text.hasPrefix(Self.magic), text.hasSuffix("\n") else { return Checkpoint(bootID: "", lastRetentionMillis: 0) }
    let fields = text.dropLast().split(separator: " ")
    guard fields.count == 5, let millis = Int64(fields[3]), let recoveryBase = Int64(fields[4]), recoveryBase >= 0 else {
      return Checkpoint(bootID: "", lastRetentionMillis: 0)
    }
    return Checkpoint(bootID: String(fields[2]), lastRetentionMillis: millis, recoveryBase: recoveryBase)
  }

  /// Writes the checkpoint in place; called under the lock.
  func writeCheckpoint(_ checkpoint: Checkpoint) {
    let text = Self.magic + checkpoint.bootID + " " + String(checkpoint.lastRetentionMillis) + " "
      + String(checkpoint.recoveryBase) + "\n"
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
