import Glibc

/// Faulting memory in before it is written, on a thread that has time for it: in this kind of
/// VM the kernel's zeroing of a fresh page at its first touch (`clear_page_erms`) can cost
/// over a millisecond per megabyte, which `kq pipe` would otherwise pay on its main thread.
package enum PagePopulation {
  static let pageBytes = 4096

  /// `MADV_POPULATE_WRITE` (Linux 5.14): faults the pages `memory` touches in writable
  /// without writing them, so another thread may be writing the same memory meanwhile. Where
  /// the kernel lacks it, nothing happens and the pages are faulted in when used.
  package static func populate(_ memory: UnsafeMutableRawBufferPointer) {
    guard let base = memory.baseAddress, memory.count > 0 else { return }
    // madvise wants a page-aligned start (else EINVAL, and nothing is done).
    let address = UInt(bitPattern: base)
    let pageStart = address & ~UInt(pageBytes - 1)
    guard let start = UnsafeMutableRawPointer(bitPattern: pageStart) else { return }
    let length = (Int(address - pageStart) + memory.count + pageBytes - 1) & ~(pageBytes - 1)
    let populateWrite: Int32 = 23
    _ = madvise(start, length, populateWrite)
  }
}
