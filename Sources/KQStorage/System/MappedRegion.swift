import Glibc
import Synchronization
import KQLog

/// Part of a file mapped read-only with `mmap(2)`: reading it costs no copy into a buffer.
/// Unmapped when released. Made by `FileSystem.map`.
///
/// A mapping can outlive the bytes under it: when a writer recovering a torn tail cuts the
/// file, or the disk fails, touching a page past the new end raises SIGBUS. `MappingFaults`
/// turns that into a page of zeros and a count that readers check, so a reader never dies of
/// it: it sees a batch that fails its checks, notices the fault and reads the file again.
package final class MappedRegion {
  package let base: UnsafeRawPointer
  /// File position of `base`: a multiple of the page size.
  package let offset: Int64
  package let count: Int
  /// File position just past the region.
  package var end: Int64 { offset + Int64(count) }

  init(base: UnsafeRawPointer, offset: Int64, count: Int) {
    self.base = base
    self.offset = offset
    self.count = count
    MappingFaults.liveRegions.add(1, ordering: .relaxed)
  }

  deinit {
    munmap(UnsafeMutableRawPointer(mutating: base), count)
    MappingFaults.liveRegions.subtract(1, ordering: .relaxed)
  }

  /// The bytes at file position `position`, which must lie inside the region.
  @inline(__always)
  package func pointer(at position: Int64) -> UnsafeRawPointer { base + Int(position - offset) }

  package func contains(_ position: Int64, count needed: Int) -> Bool {
    position >= offset && position + Int64(needed) <= end
  }
}
