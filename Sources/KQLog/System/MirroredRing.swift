import CKQRing
import Glibc

/// Memory mapped twice, back to back, so that the `size` bytes from any position are one run:
/// one thread fills it at one end while another takes whole lines from the other, and a line
/// that crosses the end needs no copy.
package final class MirroredRing: @unchecked Sendable {
  package let base: UnsafeMutableRawPointer
  package let size: Int

  /// A ring of at least `size` bytes (rounded up to whole pages); nil when the system refuses.
  package init?(size: Int) {
    let page = max(4096, sysconf(Int32(_SC_PAGESIZE)))
    guard size > 0, size <= 1 << 40 else { return nil }
    let rounded = (size + page - 1) / page * page
    guard let base = kq_ring_map(rounded) else { return nil }
    self.base = base
    self.size = rounded
  }

  deinit { kq_ring_unmap(base, size) }

  /// Where the byte at `position` (counted from the ring's start, past its end too) lies; the
  /// `size` bytes from there are contiguous.
  @inline(__always)
  package func address(at position: Int) -> UnsafeMutableRawPointer { base + position % size }
}
