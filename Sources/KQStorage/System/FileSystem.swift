import CKQWriteback
import Glibc
import KQLog

/// The storage module's only door to the kernel's file calls. Every `open`, `pread`, `pwrite`,
/// `fsync`, `rename`, `unlink`, `flock`… of KQStorage goes through one instance, so that tests
/// can record the calls and inject faults (ENOSPC, EIO, short writes). Each method retries
/// EINTR and turns -1 into a thrown `Errno`. Swift names; the C name is in each doc comment.
package final class FileSystem: @unchecked Sendable {
  /// A fault a test asks for: consulted before each call; returning an error makes the call
  /// fail with it without reaching the kernel. `nil` in production.
  package typealias FaultInjector = (_ operation: FileOperation, _ path: String) -> Fault?

  package enum FileOperation: String, Sendable {
    case open, read, map, write, sync, rename, unlink, makeDirectory, removeDirectory, truncate,
      lock, status, listDirectory
  }

  package enum Fault: Sendable {
    /// The call fails with this error.
    case fail(Errno)
    /// A write stores only this many bytes (a short write), then reports success for them.
    case shortWrite(Int)
    /// A listing leaves out these names, as a listing taken while files are created may
    /// leave out one of them (ext4 lists in hash order) while showing a newer one.
    case omitEntries([String])
  }

  private let injector: FaultInjector?
  /// When set, every call is appended here as "operation path" (for tests that check order).
  package private(set) var recordedCalls: [String]?

  /// Neither injecting nor recording: calls from a second thread (`ReadAhead`) are safe, and
  /// no test is counting on their order.
  package var isPlain: Bool { injector == nil && recordedCalls == nil && journal == nil }

  /// When set, every call that changes the disk is logged here with its bytes (crash tests).
  package let journal: FileJournal?

  package init(injecting injector: FaultInjector? = nil, recording: Bool = false, journal: FileJournal? = nil) {
    self.injector = injector
    self.recordedCalls = recording ? [] : nil
    self.journal = journal
  }

  @inline(__always)
  private func check(_ operation: FileOperation, _ path: String) throws(Errno) -> Fault? {
    if recordedCalls != nil { recordedCalls?.append("\(operation.rawValue) \(path)") }
    guard let injector else { return nil }
    let fault = injector(operation, path)
    if case .fail(let error) = fault { throw error }
    return fault
  }

  /// `open(2)`. Always adds O_CLOEXEC.
  package func open(_ path: String, _ flags: CInt, mode: mode_t = 0o644) throws(Errno) -> CInt {
    _ = try check(.open, path)
    while true {
      let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
      if fd >= 0 {
        if let journal, flags & O_CREAT != 0 {
          journal.append(.open(path: path, inode: FileJournal.inode(of: fd), truncated: flags & O_TRUNC != 0))
        }
        return fd
      }
      if errno != EINTR { throw Errno.current }
    }
  }

  /// `close(2)`. Errors are reported, EINTR is not retried (the descriptor is gone on Linux).
  package func close(_ fd: CInt) throws(Errno) {
    if Glibc.close(fd) == -1 && errno != EINTR { throw Errno.current }
  }

  /// `pread(2)` until `count` bytes or end of file; returns the bytes read.
  package func read(_ fd: CInt, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64, path: String)
    throws(Errno) -> Int
  {
    _ = try check(.read, path)
    var done = 0
    while done < count {
      let n = Glibc.pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
      if n > 0 {
        done += n
      } else if n == 0 {
        break
      } else if errno != EINTR {
        throw Errno.current
      }
    }
    return done
  }

  /// `mmap(2)` of `count` bytes from `offset` (a multiple of the page size), read-only and
  /// shared, so the pages are the page cache's own. Installs the SIGBUS guard first.
  package func map(_ fd: CInt, at offset: Int64, count: Int, path: String) throws(Errno) -> MappedRegion {
    _ = try check(.map, path)
    guard MappingFaults.installed else { throw Errno(ENOTSUP) }
    guard let base = mmap(nil, count, PROT_READ, MAP_SHARED, fd, off_t(offset)), base != MAP_FAILED else {
      throw Errno.current
    }
    return MappedRegion(base: UnsafeRawPointer(base), offset: offset, count: count)
  }

  /// `pwrite(2)` of all `count` bytes at `offset`.
  package func write(_ fd: CInt, from buffer: UnsafeRawPointer, count: Int, at offset: Int64, path: String)
    throws(Errno)
  {
    var count = count
    let fault = try check(.write, path)
    defer {
      if let journal {
        journal.append(.write(inode: FileJournal.inode(of: fd), offset: offset,
          bytes: [UInt8](UnsafeRawBufferPointer(start: buffer, count: count))))
      }
    }
    if case .shortWrite(let allowed) = fault {
      count = min(count, allowed)
      var done = 0
      while done < count {
        let n = Glibc.pwrite(fd, buffer + done, count - done, off_t(offset) + off_t(done))
        if n < 0 { if errno == EINTR { continue }; throw Errno.current }
        done += n
      }
      throw Errno.noSpace
    }
    var done = 0
    while done < count {
      let n = Glibc.pwrite(fd, buffer + done, count - done, off_t(offset) + off_t(done))
      if n < 0 {
        if errno == EINTR { continue }
        throw Errno.current
      }
      done += n
    }
  }

  /// `pwrite(2)` of a whole byte array at `offset`; nothing for an empty one.
  package func write(_ bytes: [UInt8], to fd: CInt, at offset: Int64, path: String) throws(Errno) {
    try mappingErrno {
      try bytes.withUnsafeBytes { raw in
        guard let start = raw.baseAddress, raw.count > 0 else { return }
        try write(fd, from: start, count: raw.count, at: offset, path: path)
      }
    }
  }

  /// `sync_file_range(2)` with SYNC_FILE_RANGE_WRITE: starts writing the range to the device and
  /// returns without waiting, so that a later `syncData` finds it written or on its way. A hint
  /// for speed, never for durability (it syncs no metadata and waits for nothing): errors are
  /// ignored (the sync reports them), and it is neither fault-injected, recorded nor journaled,
  /// since it changes nothing a reader or a power cut can tell.
  package func startWriteback(_ fd: CInt, offset: Int64, count: Int) {
    _ = kq_start_writeback(fd, offset, Int64(count))
  }

  /// `fallocate(2)` with FALLOC_FL_KEEP_SIZE: blocks for `count` bytes from `offset`, the size
  /// unchanged. A hint for speed only: false where the file system refuses it.
  package func preallocate(_ fd: CInt, from offset: Int64, count: Int64) -> Bool {
    kq_preallocate(fd, offset, count) == 0
  }

  /// Gives back the blocks the file holds past its last page beyond `slack` bytes (a
  /// `preallocate` reservation): `ftruncate(2)` to the size `fstat` shows, which ext4 and tmpfs
  /// take as "free what lies past the end" (the caller holds what keeps the size from changing:
  /// the append lock). The access and modification times are set back as they were (retention
  /// falls back to the latter for a segment without timestamps). Best effort: nothing when
  /// nothing lies past the end, or a call fails.
  package func releaseBlocksPastEnd(_ fd: CInt, slack: Int64) {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return }
    let size = Int64(info.st_size)
    let (allocated, overflow) = Int64(info.st_blocks).multipliedReportingOverflow(by: 512)
    let (pages, pagesOverflow) = size.addingReportingOverflow(4095)
    guard !overflow, !pagesOverflow, allocated - (pages & ~4095) > slack else { return }
    while ftruncate(fd, off_t(size)) == -1 {
      if errno != EINTR { return }
    }
    _ = futimens(fd, [info.st_atim, info.st_mtim])
  }

  /// `fdatasync(2)`: the file's data and the metadata needed to read it back (its size).
  package func syncData(_ fd: CInt, path: String) throws(Errno) {
    _ = try check(.sync, path)
    while fdatasync(fd) == -1 {
      if errno != EINTR { throw Errno.current }
    }
    journal?.append(.syncFile(inode: FileJournal.inode(of: fd)))
  }

  /// `fsync(2)` of a file or directory.
  package func sync(_ fd: CInt, path: String) throws(Errno) {
    _ = try check(.sync, path)
    while fsync(fd) == -1 {
      if errno != EINTR { throw Errno.current }
    }
    if let journal {
      journal.append(
        FileJournal.isDirectory(fd) ? .syncDirectory(path: path) : .syncFile(inode: FileJournal.inode(of: fd)))
    }
  }

  /// Opens a directory and `fsync(2)`s it, making created, renamed and removed names durable.
  package func syncDirectory(_ path: String) throws(Errno) {
    let fd = try open(path, O_RDONLY | O_DIRECTORY)
    defer { try? close(fd) }
    try sync(fd, path: path)
  }

  /// `rename(2)`.
  package func rename(_ from: String, to: String) throws(Errno) {
    _ = try check(.rename, from)
    if Glibc.rename(from, to) == -1 { throw Errno.current }
    journal?.append(.rename(from: from, to: to))
  }

  /// `unlink(2)`.
  package func unlink(_ path: String) throws(Errno) {
    _ = try check(.unlink, path)
    if Glibc.unlink(path) == -1 { throw Errno.current }
    journal?.append(.unlink(path: path))
  }

  /// `mkdir(2)`.
  package func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(Errno) {
    _ = try check(.makeDirectory, path)
    if Glibc.mkdir(path, mode) == -1 { throw Errno.current }
    journal?.append(.makeDirectory(path: path))
  }

  /// `rmdir(2)`.
  package func removeDirectory(_ path: String) throws(Errno) {
    _ = try check(.removeDirectory, path)
    if Glibc.rmdir(path) == -1 { throw Errno.current }
    journal?.append(.removeDirectory(path: path))
  }

  /// `ftruncate(2)`.
  package func truncate(_ fd: CInt, to length: Int64, path: String) throws(Errno) {
    _ = try check(.truncate, path)
    while ftruncate(fd, off_t(length)) == -1 {
      if errno != EINTR { throw Errno.current }
    }
    journal?.append(.truncate(inode: FileJournal.inode(of: fd), length: length))
  }

  /// `flock(2)`. Returns false when `nonBlocking` and another holder has it.
  package func lock(_ fd: CInt, exclusive: Bool = true, nonBlocking: Bool = false, path: String) throws(Errno)
    -> Bool
  {
    _ = try check(.lock, path)
    let operation = (exclusive ? LOCK_EX : LOCK_SH) | (nonBlocking ? LOCK_NB : 0)
    while flock(fd, operation) == -1 {
      if errno == EWOULDBLOCK && nonBlocking { return false }
      if errno != EINTR { throw Errno.current }
    }
    return true
  }

  /// `flock(fd, LOCK_UN)`.
  package func unlock(_ fd: CInt) {
    _ = flock(fd, LOCK_UN)
  }

  /// `fstat(2)`: the file's size in bytes.
  package func size(of fd: CInt, path: String) throws(Errno) -> Int64 {
    var info = stat()
    if fstat(fd, &info) == -1 { throw Errno.current }
    return Int64(info.st_size)
  }

  /// `fstat(2)`: everything the kernel says of an open file (its links, device and inode).
  package func status(of fd: CInt, path: String) throws(Errno) -> stat {
    var info = stat()
    if fstat(fd, &info) == -1 { throw Errno.current }
    return info
  }

  /// `stat(2)`; nil when nothing is at `path`.
  package func status(_ path: String) throws(Errno) -> stat? {
    _ = try check(.status, path)
    var info = stat()
    if statFollowingLinks(path, &info) == -1 {
      if errno == ENOENT || errno == ENOTDIR { return nil }
      throw Errno.current
    }
    return info
  }

  package func exists(_ path: String) -> Bool {
    var info = stat()
    return statFollowingLinks(path, &info) == 0
  }

  /// `opendir(3)`/`readdir(3)`: the names in a directory, without "." and "..".
  ///
  /// A listing taken while others create files may leave out a file created during it and
  /// show one created later. Files that exist throughout a listing are always in it.
  package func listDirectory(_ path: String) throws(Errno) -> [String] {
    let fault = try check(.listDirectory, path)
    guard let dir = opendir(path) else { throw Errno.current }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        raw.baseAddress.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
      }
      if name != "." && name != ".." && !name.isEmpty { names.append(name) }
    }
    if case .omitEntries(let omitted) = fault { names.removeAll { omitted.contains($0) } }
    return names
  }

  /// Every name that was in the directory when a first listing ended and is still there,
  /// and perhaps some newer ones: the union of two listings, the second begun after the
  /// first ended. A file created during the first listing (which may miss it) exists
  /// throughout the second, so the second has it.
  package func listDirectoryCompletely(_ path: String) throws(Errno) -> [String] {
    let first = try listDirectory(path)
    let second = try listDirectory(path)
    var seen = Set(second)
    var names = second
    for name in first where seen.insert(name).inserted { names.append(name) }
    return names
  }

  /// Reads a whole small file, up to `limit` bytes; nil when it does not exist. Reads until end
  /// of file rather than trusting the size (files in /proc report 0).
  package func readSmallFile(_ path: String, limit: Int = 1 << 20) throws(Errno) -> [UInt8]? {
    let fd: CInt
    do { fd = try open(path, O_RDONLY) } catch { if error == .noSuchFile { return nil }; throw error }
    defer { try? close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
      let want = min(chunk.count, limit - bytes.count)
      let got = try mappingErrno {
        try chunk.withUnsafeMutableBytes { raw in
          guard let base = raw.baseAddress else { return 0 }
          return try read(fd, into: base, count: want, at: Int64(bytes.count), path: path)
        }
      }
      if got == 0 { break }
      bytes += chunk.prefix(got)
    }
    return bytes
  }

  /// Writes a small file so that a crash leaves either its old or its new content: write
  /// `path.tmp`, fsync it, rename over `path`, fsync the directory.
  /// Without `durable`, nothing is fsynced: a crash may then leave the old content, or after a
  /// power failure an empty or partial file (for hints that are never wrong to lose).
  package func replaceAtomically(
    _ path: String, with bytes: [UInt8], directory: String, temporaryPath: String, durable: Bool = true
  ) throws(Errno) {
    let fd = try open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
    do throws(Errno) {
      try write(bytes, to: fd, at: 0, path: temporaryPath)
      if durable { try sync(fd, path: temporaryPath) }
      try close(fd)
    } catch {
      try? close(fd)
      try? unlink(temporaryPath)
      throw error
    }
    try rename(temporaryPath, to: path)
    if durable { try syncDirectory(directory) }
  }
}

/// `stat(2)`, named apart from the `stat` struct that shadows it inside types.
private func statFollowingLinks(_ path: String, _ info: inout stat) -> CInt {
  stat(path, &info)
}
