import Glibc
import KQLog

/// `TOPIC-N/kq.unreadable`: the offset ranges `kq verify --repair` moved aside, one
/// `FIRST END\n` line each (END exclusive), ascending. Exactly the gaps between segments:
/// readers pass over them as over a retention gap, reporting them, and recovery and verify
/// accept a gap between segments only when it is listed. Below the cleaner checkpoint a gap
/// between segments may be partly compaction's: there a listed range is the moved part, from
/// a moved segment's base up to the next segment's (`movedPart(of:in:)`). Written atomically
/// under the partition's append lock.
package enum UnreadableOffsets {
  static func path(in folder: String) -> String { folder + "/kq.unreadable" }

  /// The listed ranges; [] when there is no file; nil when it does not parse.
  static func read(folder: String, fileSystem: FileSystem) -> [Range<Int64>]? {
    let bytes: [UInt8]?
    do { bytes = try fileSystem.readSmallFile(path(in: folder)) } catch { return nil }
    guard let bytes else { return [] }
    return parse(bytes)
  }

  static func parse(_ bytes: [UInt8]) -> [Range<Int64>]? {
    guard let text = String(validating: bytes, as: UTF8.self), text.isEmpty || text.hasSuffix("\n") else { return nil }
    var ranges: [Range<Int64>] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
      let fields = line.split(separator: " ", omittingEmptySubsequences: false)
      guard fields.count == 2, let first = Int64(fields[0]), let end = Int64(fields[1]), first >= 0, first < end,
        String(first) == fields[0], String(end) == fields[1], ranges.last.map({ $0.upperBound <= first }) ?? true
      else { return nil }
      ranges.append(first..<end)
    }
    return ranges
  }

  /// Whether readers may pass from `expected` to `found` without reporting damage.
  static func covers(_ gap: Range<Int64>, folder: String, fileSystem: FileSystem) -> Bool {
    guard !gap.isEmpty, let ranges = read(folder: folder, fileSystem: fileSystem) else { return false }
    return ranges.contains(gap)
  }

  /// In a gap compaction may have made (below the cleaner checkpoint), the listed range that
  /// was moved aside: the one inside `gap` that ends where it does; nil when none.
  static func movedPart(of gap: Range<Int64>, in ranges: [Range<Int64>]) -> Range<Int64>? {
    ranges.first { $0.upperBound == gap.upperBound && $0.lowerBound >= gap.lowerBound }
  }

  static func movedPart(of gap: Range<Int64>, folder: String, fileSystem: FileSystem) -> Range<Int64>? {
    guard !gap.isEmpty, let ranges = read(folder: folder, fileSystem: fileSystem) else { return nil }
    return movedPart(of: gap, in: ranges)
  }

  /// `ranges` sorted, those that touch joined: what `write` takes.
  static func joined(_ ranges: [Range<Int64>]) -> [Range<Int64>] {
    var result: [Range<Int64>] = []
    for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !range.isEmpty {
      if let last = result.last, last.upperBound >= range.lowerBound {
        result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
      } else {
        result.append(range)
      }
    }
    return result
  }

  static func write(_ ranges: [Range<Int64>], folder: String, fileSystem: FileSystem) throws(StorageError) {
    let file = path(in: folder)
    if ranges.isEmpty {
      do { try fileSystem.unlink(file) } catch {
        if error != .noSuchFile { throw .io(error, operation: "delete", path: file) }
      }
      return
    }
    let text = ranges.map { "\($0.lowerBound) \($0.upperBound)\n" }.joined()
    do {
      try fileSystem.replaceAtomically(file, with: Array(text.utf8), directory: folder, temporaryPath: file + ".tmp")
    } catch { throw .io(error, operation: "write", path: file) }
  }
}
