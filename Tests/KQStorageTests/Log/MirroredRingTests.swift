import Glibc
import KQLog
import Testing

/// `MirroredRing`: the same memory seen twice, back to back.
@Suite("a ring mapped twice")
struct MirroredRingTests {
  @Test("bytes written past the end are the ring's first bytes, and a run across the end reads as one")
  func mirrorsItsEnd() throws {
    let ring = try #require(MirroredRing(size: 10_000))
    #expect(ring.size >= 10_000 && ring.size % 4096 == 0)
    let text = Array("a line that crosses the ring's end\n".utf8)
    let start = ring.size - 10
    text.withUnsafeBytes { _ = memcpy(ring.address(at: start), $0.baseAddress!, text.count) }
    let wrapped = UnsafeRawBufferPointer(start: ring.base, count: text.count - 10)
    #expect(Array(wrapped) == Array(text[10...]))
    let whole = UnsafeRawBufferPointer(start: ring.address(at: start + 2 * ring.size), count: text.count)
    #expect(Array(whole) == text)
  }

  @Test("an impossible size is refused, not trapped on")
  func refusesImpossibleSizes() {
    #expect(MirroredRing(size: 0) == nil)
    #expect(MirroredRing(size: -1) == nil)
    #expect(MirroredRing(size: Int.max) == nil)
  }
}
