import Foundation
import Glibc
import KQTestSupport
import Testing

/// Issue 10, concurrency: retention deleting segments under a slow reader while four producers
/// write. The reader is `consume --follow` writing into a FIFO the test stops reading, so it
/// blocks with the log's first segment open; when it may write again, the segments after that
/// one are gone. It says which offsets it passed over, continues from the log start, and loses
/// nothing else: every offset it prints before the gap and from the log start on, each once,
/// each writer's records in their order.
@Suite("retention under a slow follower", .localOnly("retention by size deleting segment files under a reader; Tansu 0.6.0 applies no retention"))
struct RetentionUnderFollowerTests {
  static let writers = 4
  static let linesPerWriter = 1000

  /// `w<writer>-<number>` padded with dots to 1000 bytes: 16 records to a 16 KiB segment.
  static func line(_ writer: Int, _ number: Int) -> String {
    let text = "w\(writer)-\(number) "
    return text + String(repeating: ".", count: 999 - text.utf8.count) + "\n"
  }

  @Test("a follower blocked on its output falls behind retention: it names the offsets passed over and loses nothing else")
  func slowFollowerUnderRetention() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--config", "segment.bytes=16KiB", "--config", "retention.bytes=128KiB")
    try kq.ok("produce", "t", stdin: "start\n")
    #expect(mkfifo(kq.file("out"), 0o600) == 0)
    let follower = try kq.startShell("exec kq consume t --follow --format '%o %s\\n' > out")
    let output = open(kq.file("out"), O_RDONLY)  // returns once the follower's shell opened it
    try #require(output >= 0)
    defer { close(output) }
    var reader = LineReader(fd: output)
    #expect(reader.next() == "0 start")  // the follower reads segment 0; the test now stops reading
    // Four writers at once: retention runs at their rolls, each behind the others' (this is
    // what found the stale writer of StaleWriterTests).
    let producers = try (0..<Self.writers).map { _ in try kq.start("produce", "t", "--sync", "none") }
    for round in stride(from: 0, to: Self.linesPerWriter, by: 50) {
      for (writer, producer) in producers.enumerated() {
        producer.write((round..<round + 50).map { Self.line(writer, $0) }.joined())
      }
    }
    for producer in producers { producer.closeInput() }
    for producer in producers {
      let result = try producer.finish()
      #expect(result.status == 0, "\(result)")
    }
    let end = 1 + Self.writers * Self.linesPerWriter
    let stored = try kq.ok("consume", "t", "--format", "%o %s\\n").lines
    let logStart = try #require(stored.first.flatMap { Int($0.prefix { $0 != " " }) })
    #expect(logStart > 1 && stored.map { Int($0.prefix { $0 != " " }) } == Array(logStart..<end))
    // Now read all the follower prints, up to the log end.
    var printed: [String] = ["0 start"]
    while let line = reader.next() {
      printed.append(line.hasSuffix(".") ? String(line.prefix { $0 != "." }).trimmingCharacters(in: .whitespaces) : line)
      if line.hasPrefix("\(end - 1) ") { break }
    }
    follower.signal(SIGTERM)
    let ended = try follower.finish()
    let offsets = printed.map { Int($0.prefix { $0 != " " }) ?? -1 }
    let resumedAt = try #require(offsets.firstIndex { $0 >= logStart }, "the follower never reached the log start")
    let lostFrom = offsets[resumedAt - 1] + 1
    // Before the gap, a prefix of the log; from the log start, the log as it is now.
    #expect(Array(offsets[..<resumedAt]) == Array(0..<lostFrom))
    #expect(offsets[resumedAt...].first == logStart)
    #expect(Array(printed[resumedAt...]) == stored.map { String($0.prefix { $0 != "." }).trimmingCharacters(in: .whitespaces) })
    #expect(
      ended.errors
        == "kq: warning: partition 0: offsets \(lostFrom) to \(logStart - 1) were deleted by retention before kq could read them; continuing at offset \(logStart)\n"
    )
    // Each writer's records, read by the follower, in the order written.
    for writer in 0..<Self.writers {
      let numbers = printed.compactMap { line -> Int? in
        let value = line.split(separator: " ").dropFirst().first ?? ""
        guard value.hasPrefix("w\(writer)-") else { return nil }
        return Int(value.dropFirst("w\(writer)-".count))
      }
      #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "writer \(writer)")
    }
    print("retention under a slow follower: read 0-\(lostFrom - 1), passed over \(lostFrom)-\(logStart - 1), read \(logStart)-\(end - 1)")
  }
}

/// Lines from a descriptor, waiting at most 30 s for each (a stalled writer fails the test, it
/// does not hang it).
struct LineReader {
  let fd: CInt
  var buffer: [UInt8] = []

  init(fd: CInt) { self.fd = fd }

  mutating func next() -> String? {
    while true {
      if let newline = buffer.firstIndex(of: 10) {
        let line = String(decoding: buffer[..<newline], as: UTF8.self)
        buffer.removeSubrange(...newline)
        return line
      }
      var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&waiting, 1, 30_000) == 1 else { return nil }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      guard count > 0 else { return nil }
      buffer += chunk[..<count]
    }
  }
}
