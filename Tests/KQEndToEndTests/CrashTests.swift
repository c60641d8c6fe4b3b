import Glibc
import KQTestSupport
import Testing

/// kill -9 in the middle of writes: what survives is a prefix of what was sent, with no
/// partial record, and the next writer carries on at the right offset.
@Suite("kill -9", .localOnly("kill -9 of producers checks what reached the data directory's files"))
struct CrashTests {
  @Test("producers killed mid-stream leave a whole-record prefix, and appends continue densely", arguments: 0..<3 as Range<UInt64>)
  func killedProducersLeaveWholeRecords(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--config", "segment.bytes=64KiB")
    var expected: [String] = []
    for round in 0..<4 {
      let producer = try kq.start("produce", "t", "--sync", "none")
      let lines = (0..<20_000).map { "round \(round) record \($0) " + String(repeating: "x", count: Int.random(in: 0...60, using: &random)) }
      // Feed it in slices so the kill lands while it is appending, not before.
      let slices = stride(from: 0, to: lines.count, by: 2_000).map { Array(lines[$0..<min($0 + 2_000, lines.count)]) }
      let killAfter = Int.random(in: 1...slices.count - 1, using: &random)
      for slice in slices.prefix(killAfter) { producer.write(slice.joined(separator: "\n") + "\n") }
      usleep(UInt32.random(in: 0...20_000, using: &random))
      producer.signal(SIGKILL)
      let ended = try producer.finish(timeout: 20)
      #expect(ended.status == 128 + SIGKILL, "\(ended)")
      let stored = try kq.ok("consume", "t").lines
      // Whatever survived is exactly the records sent so far, in order, each one whole.
      let survivors = Array(stored.dropFirst(expected.count))
      #expect(Array(stored.prefix(expected.count)) == expected, "round \(round): earlier records changed")
      #expect(survivors == Array(lines.prefix(survivors.count)), "round \(round): a partial or foreign record survived")
      expected += survivors
    }
    // A clean writer after all the kills appends at the next offset, densely.
    let offsets = try kq.ok("produce", "t", "--print-offsets", stdin: "after-1\nafter-2\n").lines
    #expect(offsets == ["0 \(expected.count)", "0 \(expected.count + 1)"])
    let all = try kq.ok("consume", "t", "--format", "%o %s\\n").lines
    #expect(all.count == expected.count + 2)
    for (index, line) in all.enumerated() { #expect(line.hasPrefix("\(index) "), "offset \(index): \(line)") }
  }
}
