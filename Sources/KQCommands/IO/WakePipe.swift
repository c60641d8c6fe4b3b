import Glibc

/// A pipe one thread writes a byte into so that another, waiting in poll(2) on `readEnd`,
/// wakes up: a stop request, or "more has been read". Both ends are non-blocking (a wake never
/// waits, a full pipe is readable already) and closed on exec; both close with it.
final class WakePipe {
  let readEnd: CInt
  let writeEnd: CInt

  init?() {
    guard let ends = Self.makeEnds() else { return nil }
    (readEnd, writeEnd) = ends
  }

  deinit {
    close(readEnd)
    close(writeEnd)
  }

  func wake() {
    var byte: UInt8 = 1
    _ = write(writeEnd, &byte, 1)
  }

  /// Takes every byte written so far, so that poll waits again.
  func drain() {
    var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    while withUnsafeMutableBytes(of: &bytes, { read(readEnd, $0.baseAddress, $0.count) }) == 32 {}
  }

  /// A pipe's two ends, non-blocking and closed on exec; nil when the system has none to give.
  static func makeEnds() -> (read: CInt, write: CInt)? {
    var ends: [CInt] = [-1, -1]
    guard pipe(&ends) == 0 else { return nil }
    for end in ends {
      _ = fcntl(end, F_SETFD, FD_CLOEXEC)
      _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
    }
    return (ends[0], ends[1])
  }
}
