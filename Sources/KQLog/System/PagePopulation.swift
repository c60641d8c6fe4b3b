import Glibc

/// Faulting memory in before it is written, on a thread that has time for it: in this kind of
/// VM the kernel's zeroing of a fresh page at its first touch (`clear_page_erms`) can cost
/// over a millisecond per megabyte, which `kq pipe` would otherwise pay on its main thread.
package enum PagePopulation {
  /// `MADV_POPULATE_WRITE` (Linux 5.14): faults `memory`'s pages in writable without writing
  /// them, so another thread may be writing the same memory meanwhile. Where the kernel lacks
  /// it, nothing happens and the pages are faulted in when used.
  package static func populate(_ memory: UnsafeMutableRawBufferPointer) {
    guard let base = memory.baseAddress, memory.count > 0 else { return }
    let populateWrite: Int32 = 23
    _ = madvise(base, (memory.count + 4095) & ~4095, populateWrite)
  }
}
