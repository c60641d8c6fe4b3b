import Foundation
import Glibc
import KQTestSupport
import Testing

/// Blocks a bulk produce reserves past a segment's end (`fallocate`, FORMAT.md "Preallocation")
/// are given back: on exit, at each roll, and by the next writer after a kill -9.
@Suite("preallocation", .localOnly("the blocks reserved are in the data directory's files"))
struct PreallocationTests {
  /// Size and bytes of disk held (`st_blocks` × 512) of each `.log` of topic t's partition 0.
  static func segments(_ kq: KQSandbox) throws -> [(name: String, size: Int64, allocated: Int64)] {
    let folder = kq.path + "/t-0"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".log") }.sorted()
    return try names.map { name in
      var info = stat()
      try #require(stat(folder + "/" + name, &info) == 0)
      return (name, Int64(info.st_size), Int64(info.st_blocks) * 512)
    }
  }

  /// Whether no segment holds more than its last page and an extent block past its end.
  static func nothingReservedPastTheEnd(_ kq: KQSandbox) throws -> Bool {
    try segments(kq).allSatisfy { $0.allocated <= ($0.size + 4095) / 4096 * 4096 + 65_536 }
  }

  @Test("a bulk produce gives back what it reserved, at each roll and on exit")
  func givenBackOnRollAndExit() throws {
    let kq = try KQSandbox()
    try kq.shell(BulkProduceTests.makeLines).checked()
    try kq.ok("topic", "create", "t", "--config", "segment.bytes=3000000")
    // 4 MB: one segment rolled, the next a third full, its reservation reaching 3 MB.
    try kq.shell("cat lines | kq produce t --sync none").checked()
    let first = try Self.segments(kq)
    #expect(first.count == 2 && first[1].size < 2_000_000, "\(first)")
    #expect(try Self.nothingReservedPastTheEnd(kq), "after the first producer exited: \(first)")
    try kq.shell("cat lines | kq produce t").checked()
    let second = try Self.segments(kq)
    #expect(second.count == 3, "\(second)")
    #expect(try Self.nothingReservedPastTheEnd(kq), "after the second: \(second)")
    try kq.shell("kq consume t > out && cat lines lines | cmp - out").checked()
  }

  @Test("blocks a killed producer reserved are given back by the next writer, and every record stays")
  func givenBackAfterKill() throws {
    let kq = try KQSandbox()
    let (producer, lines) = try BulkProduceTests.producerAfterBulkInput(kq, "--sync", "none")
    // 4 MB appended in bulk: 8 MiB reserved past the first flush, most of it unused.
    let reserved = try Self.segments(kq)
    try #require(reserved.count == 1)
    #expect(reserved[0].allocated > reserved[0].size + (1 << 20), "nothing reserved ahead of the bulk append: \(reserved)")
    producer.signal(SIGKILL)
    _ = try producer.finish(timeout: 20)
    #expect(try Self.segments(kq)[0].allocated == reserved[0].allocated, "the kill left the reservation")
    try kq.ok("produce", "t", stdin: "after the kill\n")
    let after = try Self.segments(kq)
    #expect(try Self.nothingReservedPastTheEnd(kq), "\(after)")
    #expect(try kq.ok("consume", "t").output == lines + "after the kill\n")
  }
}
