import Glibc
import KQLog

/// Which file a name or a descriptor refers to: its device and inode. While a process holds
/// a descriptor of a file, the inode cannot be reused, so a name that still gives the same
/// identity still names that very file (not one deleted and created again at that name).
package struct FileIdentity: Equatable, Sendable {
  package var device: UInt64
  package var inode: UInt64

  init(_ info: stat) {
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }
}

extension FileSystem {
  /// The identity of an open file.
  package func identity(of fd: CInt, path: String) throws(Errno) -> FileIdentity {
    FileIdentity(try status(of: fd, path: path))
  }

  /// The identity of what `path` names now; nil when nothing is there.
  package func identity(at path: String) throws(Errno) -> FileIdentity? {
    try status(path).map(FileIdentity.init)
  }
}
