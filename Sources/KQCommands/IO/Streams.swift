import Glibc
import KQLog

/// Where a command's output goes: a file descriptor in the process, memory in tests.
package protocol ByteSink: AnyObject {
  /// Writes all bytes; throws `Errno` (EPIPE when the reader has gone).
  func write(_ bytes: UnsafeRawBufferPointer) throws(Errno)
  /// The descriptor behind it, when there is one (for poll and isatty).
  var descriptor: CInt? { get }
  /// Bytes written into a pipe that its reader has not read yet; 0 for anything else.
  var unreadBytes: Int { get }
}

extension ByteSink {
  package func write(_ text: String) {
    var text = text
    text.withUTF8 { try? write(UnsafeRawBufferPointer($0)) }
  }
  /// Writes what it can: the bytes that got out before a failure, and the failure.
  package func writeReportingProgress(_ bytes: UnsafeRawBufferPointer) -> (written: Int, failure: Errno?) {
    if let sink = self as? FileDescriptorSink { return sink.writeCounting(bytes) }
    do { try write(bytes) } catch { return (0, error) }
    return (bytes.count, nil)
  }
  package func write(_ bytes: [UInt8]) throws(Errno) {
    try mappingErrno { try bytes.withUnsafeBytes { raw in try write(raw) } }
  }
  package var isTerminal: Bool { descriptor.map { isatty($0) == 1 } ?? false }
  package var unreadBytes: Int { 0 }
}

/// Where a command's input comes from.
package protocol ByteSource: AnyObject {
  /// Reads up to `count` bytes; 0 at end of input.
  func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> Int
  var descriptor: CInt? { get }
}

extension ByteSource {
  package var isTerminal: Bool { descriptor.map { isatty($0) == 1 } ?? false }
}

package final class FileDescriptorSink: ByteSink {
  package let fd: CInt
  /// When set, a write that a signal cuts short stops there with EINTR if this watcher holds
  /// the signal (Ctrl-C or SIGTERM while stdout's reader is not reading).
  package var stopsOnSignal: SignalWatcher?
  /// Whether the descriptor is a pipe or fifo, whose unread bytes FIONREAD tells.
  private lazy var isPipe: Bool = {
    var info = stat()
    return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
  }()
  package init(_ fd: CInt) { self.fd = fd }
  package var descriptor: CInt? { fd }

  package var unreadBytes: Int {
    guard isPipe else { return 0 }
    var count: CInt = 0
    return ioctl(fd, UInt(FIONREAD), &count) == 0 ? Int(max(0, count)) : 0
  }

  package func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
    if let failure = writeCounting(bytes).failure { throw failure }
  }

  /// Writes all bytes, or as many as the descriptor took before failing.
  func writeCounting(_ bytes: UnsafeRawBufferPointer) -> (written: Int, failure: Errno?) {
    guard let base = bytes.baseAddress else { return (0, nil) }
    var done = 0
    while done < bytes.count {
      let n = Glibc.write(fd, base + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR {
          if stopsOnSignal?.isPending == true { return (done, .interrupted) }
          continue
        }
        if errno == EAGAIN {
          waitWritable()
          continue
        }
        return (done, Errno.current)
      }
      done += n
      if done < bytes.count, stopsOnSignal?.isPending == true { return (done, .interrupted) }
    }
    return (done, nil)
  }

  private func waitWritable() {
    var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    _ = poll(&entry, 1, -1)
  }
}

package final class FileDescriptorSource: ByteSource {
  package let fd: CInt
  package init(_ fd: CInt) { self.fd = fd }
  package var descriptor: CInt? { fd }

  /// Makes a pipe on the descriptor hold up to 1 MiB (Linux's default pipe-max-size), so that
  /// one read takes what 16 reads of the default 64 KiB pipe would, and the writer blocks less.
  /// Nothing happens for a file or terminal, or where the limit is lower (EPERM: smaller tries).
  package func enlargePipe() {
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO else { return }
    let setPipeSize: CInt = 1031  // F_SETPIPE_SZ (linux/fcntl.h), not exported by Glibc's module
    var size: CInt = 1 << 20
    while size > 1 << 16, fcntl(fd, setPipeSize, size) < 0 { size >>= 1 }
  }

  package func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> Int {
    while true {
      let n = Glibc.read(fd, buffer, count)
      if n >= 0 { return n }
      if errno == EINTR { continue }
      if errno == EAGAIN {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, -1)
        continue
      }
      throw Errno.current
    }
  }
}

/// A standard stream that was closed when kq started: every write fails with EBADF, so a
/// command's output cannot vanish into the /dev/null that holds the descriptor's number.
package final class ClosedSink: ByteSink {
  package init() {}
  package var descriptor: CInt? { nil }
  package func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) { throw .badFileDescriptor }
}

/// Output kept in memory (tests).
package final class MemorySink: ByteSink {
  package private(set) var bytes: [UInt8] = []
  package init() {}
  package var descriptor: CInt? { nil }
  package func write(_ raw: UnsafeRawBufferPointer) throws(Errno) { bytes.append(contentsOf: raw) }
  package var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Input from memory (tests), handed out in reads of at most `chunk` bytes.
package final class MemorySource: ByteSource {
  private let bytes: [UInt8]
  private var offset = 0
  private let chunk: Int
  package init(_ bytes: [UInt8], chunk: Int = Int.max) {
    self.bytes = bytes
    self.chunk = chunk
  }
  package convenience init(_ text: String) { self.init(Array(text.utf8)) }
  package var descriptor: CInt? { nil }
  package func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> Int {
    let n = min(count, bytes.count - offset, chunk)
    if n > 0 { bytes.withUnsafeBytes { _ = memcpy(buffer, $0.baseAddress! + offset, n) } }
    offset += n
    return n
  }
}
