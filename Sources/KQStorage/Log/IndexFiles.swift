import KQLog
/// The sparse indexes of a segment (FORMAT.md, "Indexes"). Both are derived data: read as
/// "greatest entry at or below, then scan", rebuilt from the log, never trusted over it.
///
/// `.index` entries are 8 bytes: relative offset (Int32, offset − base) and the byte position
/// of a batch start (Int32). `.timeindex` entries are 12 bytes: timestamp (Int64) and relative
/// offset (Int32). Big-endian. Files hold whole entries only, no preallocated tail.
package enum OffsetIndex {
  package static let entrySize = 8
  /// A new entry is added before a batch once more than this many log bytes were appended
  /// since the last one (Kafka's `index.interval.bytes`).
  package static let intervalBytes: Int64 = 4096

  package struct Entry: Equatable, Sendable {
    package var offset: Int64
    package var position: Int64
  }

  package static func encode(_ entry: Entry, base: Int64, into buffer: ByteBuffer) {
    buffer.reserve(entrySize)
    let p = buffer.base + buffer.count
    p.storeBigEndian(Int32(truncatingIfNeeded: entry.offset - base), at: 0)
    p.storeBigEndian(Int32(truncatingIfNeeded: entry.position), at: 4)
    buffer.count += entrySize
  }

  static func decode(_ p: UnsafeRawPointer, base: Int64) -> Entry {
    // Wrapping: a damaged entry near Int64.max gives a nonsense offset, which the check
    // against the batch it points at (`IndexLookup.check`) then refuses.
    Entry(offset: base &+ Int64(p.bigEndian(Int32.self, at: 0)), position: Int64(p.bigEndian(Int32.self, at: 4)))
  }

  /// The entry at `index` of the open file `fd`.
  package static func entry(_ index: Int, fd: CInt, base: Int64, fileSystem: FileSystem, path: String) throws(Errno)
    -> Entry?
  {
    var raw: (Int64) = 0
    let got = try withUnsafeMutableBytes(of: &raw) { p throws(Errno) in
      try fileSystem.read(fd, into: p.baseAddress!, count: entrySize, at: Int64(index * entrySize), path: path)
    }
    guard got == entrySize else { return nil }
    return withUnsafeBytes(of: raw) { decode($0.baseAddress!, base: base) }
  }

  /// The last entry whose offset is at or below `target`, by binary search over the file.
  package static func floor(
    _ target: Int64, fd: CInt, entries: Int, base: Int64, fileSystem: FileSystem, path: String
  ) throws(Errno) -> Entry? {
    try lastEntry(atOrBelow: target, count: entries, key: \.offset) { index throws(Errno) in
      try entry(index, fd: fd, base: base, fileSystem: fileSystem, path: path)
    }
  }
}

package enum TimeIndex {
  package static let entrySize = 12

  package struct Entry: Equatable, Sendable {
    package var timestamp: Int64
    package var offset: Int64
  }

  package static func encode(_ entry: Entry, base: Int64, into buffer: ByteBuffer) {
    buffer.reserve(entrySize)
    let p = buffer.base + buffer.count
    p.storeBigEndian(entry.timestamp, at: 0)
    p.storeBigEndian(Int32(truncatingIfNeeded: entry.offset - base), at: 8)
    buffer.count += entrySize
  }

  package static func entry(_ index: Int, fd: CInt, base: Int64, fileSystem: FileSystem, path: String) throws(Errno)
    -> Entry?
  {
    var raw: (Int64, Int32) = (0, 0)
    let got = try withUnsafeMutableBytes(of: &raw) { p throws(Errno) in
      try fileSystem.read(fd, into: p.baseAddress!, count: entrySize, at: Int64(index * entrySize), path: path)
    }
    guard got == entrySize else { return nil }
    // The tuple holds the entry's bytes as stored: each field big-endian in place.
    return Entry(timestamp: Int64(bigEndian: raw.0), offset: base &+ Int64(Int32(bigEndian: raw.1)))
  }

  /// The last entry whose timestamp is at or below `target`.
  package static func floor(
    _ target: Int64, fd: CInt, entries: Int, base: Int64, fileSystem: FileSystem, path: String
  ) throws(Errno) -> Entry? {
    try lastEntry(atOrBelow: target, count: entries, key: \.timestamp) { index throws(Errno) in
      try entry(index, fd: fd, base: base, fileSystem: fileSystem, path: path)
    }
  }
}

/// Binary search over an index whose keys only grow: the last entry whose key is at or below
/// `target`, reading entries one at a time (indexes are searched in place, not loaded).
func lastEntry<Entry>(
  atOrBelow target: Int64, count: Int, key: (Entry) -> Int64, read: (Int) throws(Errno) -> Entry?
) throws(Errno) -> Entry? {
  var low = 0
  var high = count - 1
  var found: Entry?
  while low <= high {
    let middle = (low + high) / 2
    guard let entry = try read(middle) else { break }
    if key(entry) <= target {
      found = entry
      low = middle + 1
    } else {
      high = middle - 1
    }
  }
  return found
}
