import Glibc
import Synchronization
import KQLog

/// What a `FileSystem` did to the disk, call by call, with the bytes written: the input of a
/// crash simulator that builds the states a power loss could leave (which writes reached the
/// disk, which names). Files are named by inode, as writes and syncs reach them through a
/// descriptor, whatever name they have by then. Tests only; `nil` in production.
package final class FileJournal: Sendable {
  package enum Entry: Sendable, Equatable {
    /// `open(2)` with O_CREAT: `path` names `inode` (a new name when it had none);
    /// `truncated` for O_TRUNC.
    case open(path: String, inode: UInt64, truncated: Bool)
    case write(inode: UInt64, offset: Int64, bytes: [UInt8])
    case truncate(inode: UInt64, length: Int64)
    /// `fsync`/`fdatasync` of a file: its data and size are durable.
    case syncFile(inode: UInt64)
    /// `fsync` of a directory: the names in it are durable.
    case syncDirectory(path: String)
    case rename(from: String, to: String)
    case unlink(path: String)
    case makeDirectory(path: String)
    case removeDirectory(path: String)
    /// Put by a workload when a call returned: what it promised is durable from here on.
    case returned(String)
  }

  private let storage = Mutex<[Entry]>([])

  package init() {}

  package var entries: [Entry] { storage.withLock { $0 } }

  package func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }

  static func inode(of fd: CInt) -> UInt64 {
    var info = stat()
    return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : 0
  }

  static func isDirectory(_ fd: CInt) -> Bool {
    var info = stat()
    return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }
}
