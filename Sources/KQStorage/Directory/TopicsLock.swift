import Glibc
import KQLog

/// The lock that orders the lives of topics: `flock` on `DATA_DIR/topics.lock`, exclusive while
/// a topic is created, altered or deleted, shared while a group commits an offset (so that a
/// commit never brings back the offsets of a topic being deleted). The file is never removed,
/// so every process locks the same one; the OS releases the lock of a process that dies.
extension DataDirectory {
  /// Runs `body` holding the lock, exclusive or shared.
  func withTopicsLock<R>(exclusive: Bool, _ body: () throws(StorageError) -> R) throws(StorageError) -> R {
    let path = names.topicsLock
    let fd: CInt
    do { fd = try fileSystem.open(path, O_RDWR | O_CREAT, mode: 0o600) } catch {
      // A reader of a data directory it may not write (read-only, another user's) shares the
      // lock through a read-only descriptor (flock needs none other). Where it cannot open the
      // file even to read (missing, or another user's and mode 0600), it reads unlocked: it
      // changes nothing, though a topic change the owner makes meanwhile may show as a finding.
      guard !exclusive, error.forbidsWriting else { throw .io(error, operation: "open", path: path) }
      guard let readOnly = try? fileSystem.open(path, O_RDONLY) else { return try body() }
      defer { try? fileSystem.close(readOnly) }
      do { _ = try fileSystem.lock(readOnly, exclusive: false, path: path) } catch {
        throw .io(error, operation: "flock", path: path)
      }
      return try body()
    }
    defer { try? fileSystem.close(fd) }  // closing releases the lock
    do { _ = try fileSystem.lock(fd, exclusive: exclusive, path: path) } catch {
      throw .io(error, operation: "flock", path: path)
    }
    return try body()
  }
}
