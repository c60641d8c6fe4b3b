import KQStorage
import KQLog

/// The checks a test makes that a partition "verifies clean" until `kq verify` can make them:
/// every record from the log start to the log end read through the storage APIs, offsets
/// dense, no damage reported, and the end reached where `bounds` says it is.
package enum LogValidation {
  package enum Problem: Error, CustomStringConvertible {
    case gap(after: Int64, next: Int64)
    case endMismatch(read: Int64, bounds: Int64)
    package var description: String {
      switch self {
      case .gap(let after, let next): "offset \(next) follows \(after)"
      case .endMismatch(let read, let bounds): "read up to \(read), but the log end is \(bounds)"
      }
    }
  }

  /// Every record of the partition in `folder`, from its log start; throws on damage or a gap.
  package static func readAll(folder: String, fileSystem: FileSystem = FileSystem()) throws -> [StoredRecord] {
    let reader = PartitionReader(folder: folder, fileSystem: fileSystem)
    let (start, end) = try reader.bounds()
    try reader.seek(to: start)
    var records: [StoredRecord] = []
    var next = start
    while let batch = try reader.nextBatch() {
      for stored in try batch.records() {
        guard stored.offset == next else { throw Problem.gap(after: next - 1, next: stored.offset) }
        records.append(stored)
        next += 1
      }
    }
    guard next == end else { throw Problem.endMismatch(read: next, bounds: end) }
    return records
  }
}
