import Glibc
import KQLog

extension BatchHeader {
  /// Reads the header at `position` of an open log; nil when there is no whole, checked
  /// header there (too few bytes, a failed check, a base offset other than `expecting` when
  /// given, or a batch running past `fileSize`).
  package static func read(
    from fd: CInt, at position: Int64, expecting: Int64? = nil, fileSize: Int64, fileSystem: FileSystem, path: String,
    gapsAllowed: Bool = false
  ) throws(Errno) -> BatchHeader? {
    guard position >= 0, fileSize - position >= Int64(BatchLayout.headerSize) else { return nil }
    var raw: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0, 0)
    return try withUnsafeMutableBytes(of: &raw) { buffer throws(Errno) -> BatchHeader? in
      guard let base = buffer.baseAddress else { return nil }
      let got = try fileSystem.read(fd, into: base, count: BatchLayout.headerSize, at: position, path: path)
      guard got == BatchLayout.headerSize, let header = try? BatchHeader(checking: base, expected: expecting, gapsAllowed: gapsAllowed),
        Int64(header.size) <= fileSize - position
      else { return nil }
      return header
    }
  }
}
