import Glibc
import KQLog
import Testing

/// `PagePopulation.populate` faults in the pages a region touches, wherever it starts.
@Suite("page population")
struct PagePopulationTests {
  /// How many of the `pages` pages from `base` are resident (mincore).
  static func resident(_ base: UnsafeMutableRawPointer, pages: Int) -> Int {
    var vector = [UInt8](repeating: 0, count: pages)
    guard mincore(base, pages * 4096, &vector) == 0 else { return -1 }
    return vector.filter { $0 & 1 != 0 }.count
  }

  @Test("a region that starts inside a page is faulted in whole, and nothing beyond its last page", arguments: [0, 1, 100, 4095])
  func unalignedStart(offset: Int) throws {
    let pages = 64
    let mapped = try #require(mmap(nil, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    #expect(mapped != MAP_FAILED)
    defer { munmap(mapped, pages * 4096) }
    _ = madvise(mapped, pages * 4096, MADV_NOHUGEPAGE)
    #expect(Self.resident(mapped, pages: pages) == 0)
    // Pages 8 to 23: from `offset` bytes into page 8 to the end of page 23.
    PagePopulation.populate(UnsafeMutableRawBufferPointer(start: mapped + 8 * 4096 + offset, count: 16 * 4096 - offset))
    #expect(Self.resident(mapped, pages: 8) == 0)
    #expect(Self.resident(mapped + 8 * 4096, pages: 16) == 16)
    #expect(Self.resident(mapped + 24 * 4096, pages: pages - 24) == 0)
  }
}
