import Glibc
import KQLog

/// Tells a torn tail from damage (FORMAT.md, "Recovery"), for the bytes of a segment from
/// the first batch that failed its checks to the end of the file. A torn tail is what a crash
/// leaves and is cut; damage is never cut, skipped or overwritten, and is reported.
///
/// Torn means nothing whole follows (no batch with a right CRC and a plausible offset starts
/// anywhere after the failure) and the failure is one a crash makes, or, after a reboot at or
/// past the recovery point (`unsyncedFrom`, nil without a reboot), the bytes up to the next
/// whole batch end in lost pages (zeros from the failure on, or at least 512 zero bytes):
/// - fewer than 12 bytes, or a batch whose length runs past the end of the file (a write cut
///   short), unless the stored CRC matches the bytes up to the end of the file (then the batch
///   is whole and its length field damaged);
/// - zero bytes to the end of the file (the size reached the disk, the data did not);
/// - after a reboot, a whole batch that fails its checks at or past the recovery point (its
///   later pages never reached the disk).
enum TailDamage {
  enum Verdict: Equatable {
    case torn
    /// Not a torn tail. `intact` is the first whole batch found after the failure.
    case damaged(intact: IntactBatch?)
  }

  struct IntactBatch: Equatable {
    var position: Int64
    var baseOffset: Int64
  }

  private static let chunkSize = 1 << 20

  /// `expected` is the offset the failed batch should start at, when known.
  static func classify(
    fd: CInt, path: String, fileSystem: FileSystem, at position: Int64, fileSize: Int64, expected: Int64?,
    unsyncedFrom: Int64?
  ) throws(Errno) -> Verdict {
    let remaining = fileSize - position
    guard remaining > 0 else { return .torn }
    if let intact = try firstIntactBatch(
      fd: fd, path: path, fileSystem: fileSystem, after: position, fileSize: fileSize, expected: expected)
    {
      // After a reboot, at or past the recovery point, pages that never reached the disk
      // (zeros) before a later page that did: nothing from here on was synced (an fdatasync
      // covers the whole file), so it is a torn tail however intact what follows is.
      if let unsyncedFrom, let expected, expected >= unsyncedFrom,
        try endsInLostPages(fd: fd, path: path, fileSystem: fileSystem, from: position, to: intact.position)
      {
        return .torn
      }
      return .damaged(intact: intact)
    }
    if remaining < Int64(BatchLayout.logOverhead) { return .torn }
    let header = ByteBuffer(capacity: BatchLayout.headerSize)
    let got = try fileSystem.read(fd, into: header.base, count: BatchLayout.headerSize, at: position, path: path)
    guard got >= BatchLayout.logOverhead else { return .torn }  // the file shrank meanwhile
    let length = UnsafeRawPointer(header.base).bigEndian(Int32.self, at: BatchLayout.batchLength)
    if length >= Int32(BatchLayout.headerSize - BatchLayout.logOverhead),
      Int64(length) + Int64(BatchLayout.logOverhead) > remaining
    {
      // A write cut short, unless the batch is all there and only its length was damaged.
      guard got == BatchLayout.headerSize else { return .torn }
      let stored = UnsafeRawPointer(header.base).bigEndian(UInt32.self, at: BatchLayout.crc)
      let computed = try checksum(
        fd: fd, path: path, fileSystem: fileSystem, from: position + Int64(BatchLayout.attributes), to: fileSize)
      return computed == stored ? .damaged(intact: nil) : .torn
    }
    if try isZero(fd: fd, path: path, fileSystem: fileSystem, from: position, to: fileSize) { return .torn }
    if let unsyncedFrom, let expected, expected >= unsyncedFrom { return .torn }
    return .damaged(intact: nil)
  }

  /// The first batch after `position` that is whole, passes its checks (CRC included) and
  /// carries an offset that can follow `expected` (above it, by no more than the bytes in
  /// between): records after damage that are still intact.
  static func firstIntactBatch(
    fd: CInt, path: String, fileSystem: FileSystem, after position: Int64, fileSize: Int64, expected: Int64?
  ) throws(Errno) -> IntactBatch? {
    let headerSize = BatchLayout.headerSize
    let buffer = ByteBuffer(capacity: chunkSize + headerSize)
    var start = position + 1
    while fileSize - start >= Int64(headerSize) {
      let want = Int(min(Int64(chunkSize + headerSize), fileSize - start))
      let got = try fileSystem.read(fd, into: buffer.base, count: want, at: start, path: path)
      guard got >= headerSize else { return nil }
      var index = 0
      let last = got - headerSize
      while index <= last {
        // The magic byte is the cheap filter: only where it is 2 is a header read further.
        let from = buffer.base + index + BatchLayout.magic
        guard let hit = memchr(from, Int32(BatchLayout.magicValue), last - index + 1) else { break }
        index += UnsafeRawPointer(hit) - UnsafeRawPointer(from)
        let at = start + Int64(index)
        if let header = try? BatchHeader(checking: buffer.base + index),
          Int64(header.size) <= fileSize - at,
          expected.map({ header.baseOffset > $0 && header.baseOffset - $0 <= at - position }) ?? true
        {
          let stored = UnsafeRawPointer(buffer.base).bigEndian(UInt32.self, at: index + BatchLayout.crc)
          let computed = try checksum(
            fd: fd, path: path, fileSystem: fileSystem, from: at + Int64(BatchLayout.attributes),
            to: at + Int64(header.size))
          if computed == stored { return IntactBatch(position: at, baseOffset: header.baseOffset) }
        }
        index += 1
      }
      start += Int64(last + 1)
    }
    return nil
  }

  /// CRC-32C of the file's bytes in [from, to).
  private static func checksum(fd: CInt, path: String, fileSystem: FileSystem, from: Int64, to end: Int64)
    throws(Errno) -> UInt32
  {
    let buffer = ByteBuffer(capacity: chunkSize)
    var crc: UInt32 = 0
    var at = from
    while at < end {
      let got = try fileSystem.read(fd, into: buffer.base, count: Int(min(Int64(chunkSize), end - at)), at: at, path: path)
      if got == 0 { break }
      crc = CRC32C.checksum(UnsafeRawBufferPointer(start: buffer.base, count: got), continuing: crc)
      at += Int64(got)
    }
    return crc
  }

  /// Whether [from, to) ends as lost pages leave it: zeros from `from` on, or a run of at
  /// least 512 zero bytes (a sector) up to `to`.
  private static func endsInLostPages(fd: CInt, path: String, fileSystem: FileSystem, from: Int64, to: Int64)
    throws(Errno) -> Bool
  {
    let buffer = ByteBuffer(capacity: chunkSize)
    var end = to
    while end > from {
      let start = max(from, end - Int64(chunkSize))
      let count = Int(end - start)
      let got = try fileSystem.read(fd, into: buffer.base, count: count, at: start, path: path)
      guard got == count else { return false }
      var index = count - 1
      while index >= 0 && buffer.base.load(fromByteOffset: index, as: UInt8.self) == 0 { index -= 1 }
      if index >= 0 { return to - (start + Int64(index) + 1) >= 512 }
      end = start
    }
    return true
  }

  private static func isZero(fd: CInt, path: String, fileSystem: FileSystem, from: Int64, to end: Int64)
    throws(Errno) -> Bool
  {
    let buffer = ByteBuffer(capacity: chunkSize)
    var at = from
    while at < end {
      let got = try fileSystem.read(fd, into: buffer.base, count: Int(min(Int64(chunkSize), end - at)), at: at, path: path)
      if got == 0 { break }
      for index in 0..<got where buffer.base.load(fromByteOffset: index, as: UInt8.self) != 0 { return false }
      at += Int64(got)
    }
    return true
  }
}

extension TailDamage {
  /// Why the bytes at `position` are not a whole batch though they do not fail a check: the
  /// batch they announce runs past the end of the file (or not even a length is there).
  static func incompleteReason(fd: CInt, path: String, fileSystem: FileSystem, at position: Int64, fileSize: Int64)
    throws(Errno) -> BatchDecodeError
  {
    let available = Int(clamping: max(0, fileSize - position))
    let needed = try announcedSize(fd: fd, path: path, fileSystem: fileSystem, at: position) ?? BatchLayout.logOverhead
    return .truncated(needed: needed, available: available)
  }

  /// The size of the batch whose header starts at `position`, as its length field says; nil
  /// when fewer than 12 bytes are there.
  static func announcedSize(fd: CInt, path: String, fileSystem: FileSystem, at position: Int64) throws(Errno) -> Int? {
    var raw: (Int64, Int32) = (0, 0)
    return try withUnsafeMutableBytes(of: &raw) { p throws(Errno) -> Int? in
      guard let base = p.baseAddress,
        try fileSystem.read(fd, into: base, count: BatchLayout.logOverhead, at: position, path: path)
          == BatchLayout.logOverhead
      else { return nil }
      return RecordBatchView.announcedSize(at: base, available: BatchLayout.logOverhead)
    }
  }
}

extension TailDamage {
  /// What a reader does at bytes of a segment that are not a whole, checked batch: returns
  /// (the reader has caught up) at what recovery would cut, a torn tail of the newest segment
  /// or a write still in progress; throws `corruptBatch` with the file and byte for anything
  /// else. Readers take no lock and never cut: `folder`'s kq.lock only says whether a reboot
  /// left an unsynced tail (`PartitionLock.unsyncedFrom`).
  static func checkReaderTail(
    fd: CInt, path: String, folder: String, fileSystem: FileSystem, at position: Int64, fileSize: Int64,
    expected: Int64?, isNewestSegment: Bool, reason: BatchDecodeError?
  ) throws(StorageError) {
    let why: BatchDecodeError
    var verdict: Verdict?
    do {
      if let reason {
        why = reason
      } else {
        why = try incompleteReason(fd: fd, path: path, fileSystem: fileSystem, at: position, fileSize: fileSize)
      }
      if isNewestSegment {
        verdict = try classify(
          fd: fd, path: path, fileSystem: fileSystem, at: position, fileSize: fileSize, expected: expected,
          unsyncedFrom: PartitionLock.unsyncedFrom(folder: folder, fileSystem: fileSystem))
      }
    } catch { throw .io(error, operation: "read", path: path) }
    if verdict == .torn { return }
    throw .corruptBatch(file: path, position: position, reason: why)
  }
}
