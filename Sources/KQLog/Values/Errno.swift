import Glibc

/// A C `errno` value, carried as a Swift error.
package struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
  package let code: CInt
  package init(_ code: CInt) { self.code = code }

  /// The calling thread's `errno`.
  package static var current: Errno { Errno(errno) }

  package static let noSuchFile = Errno(ENOENT)
  package static let exists = Errno(EEXIST)
  package static let interrupted = Errno(EINTR)
  package static let wouldBlock = Errno(EWOULDBLOCK)
  package static let noSpace = Errno(ENOSPC)
  package static let io = Errno(EIO)
  package static let brokenPipe = Errno(EPIPE)
  package static let notEmpty = Errno(ENOTEMPTY)
  package static let notDirectory = Errno(ENOTDIR)
  package static let badFileDescriptor = Errno(EBADF)

  /// A file that may not be written here: a read-only file system, or no permission.
  package var forbidsWriting: Bool { code == EROFS || code == EACCES || code == EPERM }

  /// The C library's wording, e.g. "No space left on device".
  package var description: String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
  }
}

/// Runs `body`, whose closures the standard library cannot type, and lets only `Errno` out.
@inline(__always)
package func mappingErrno<R>(_ body: () throws -> R) throws(Errno) -> R {
  do { return try body() } catch let error as Errno { throw error } catch { throw Errno.io }
}
