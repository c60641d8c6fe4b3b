import Glibc

/// Descriptors 0, 1 and 2 made safe before kq opens anything. A process started with one of
/// them closed (`kq produce t <&-`, a daemon's `>&-`) would get that number back from its
/// first `pipe` or `open`: the signal pipe read as stdin, records written into the signal
/// pipe or a segment file as stdout, diagnostics into a lock file. So each closed one is
/// opened on /dev/null, as careful Unix tools do, and reported, so that a command whose
/// output is its work can refuse to pour it into nowhere.
package enum StandardDescriptors {
  package struct Closed: OptionSet, Sendable {
    package let rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }
    package static let stdin = Closed(rawValue: 1 << 0)
    package static let stdout = Closed(rawValue: 1 << 1)
    package static let stderr = Closed(rawValue: 1 << 2)
  }

  /// Opens /dev/null on each of 0, 1 and 2 that is closed; returns those that were.
  package static func openClosedOnes() -> Closed {
    var closed: Closed = []
    for (fd, flag) in [(CInt(0), Closed.stdin), (1, .stdout), (2, .stderr)] where isClosed(fd) {
      closed.insert(flag)
      // The lowest free number is `fd` itself, since every lower one is open by now. If
      // /dev/null cannot be opened, the root directory holds the number: it can be neither
      // read nor written, so nothing kq opens later can land there.
      var got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
      if got < 0 { got = open("/", O_RDONLY | O_DIRECTORY) }
      if got >= 0 && got != fd {
        _ = dup2(got, fd)
        _ = close(got)
      }
    }
    return closed
  }

  private static func isClosed(_ fd: CInt) -> Bool {
    fcntl(fd, F_GETFD) == -1 && errno == EBADF
  }
}
