import Foundation
import KQTestSupport
import Testing

/// Many OS processes appending to one partition through the `flock` append lock while others
/// follow it (issue 10: 8 writers, 4 followers): the built `kq` binary with real pipes.
@Suite("concurrent writers")
struct ConcurrentAppendTests {
  static let writers = 8
  static let followers = 4
  static let linesPerWriter = 1000

  @Test("eight produce processes and four following consumers: every record once, each writer's order kept, offsets dense")
  func writersAndFollower() throws {
    let directory = try TemporaryDirectory()
    let data = directory.at("data")
    // 16 KiB segments, so the writers also race each other through rolls.
    let created = try KQProcess.run(["topic", "create", "shared", "--config", "segment.bytes=16KiB"], directory: data)
    try #require(created.status == 0, "\(created)")
    let followers = try (0..<Self.followers).map { _ in
      try KQProcess.start(["consume", "shared", "--follow"], directory: data)
    }
    let producers = try (0..<Self.writers).map { _ in
      try KQProcess.start(["produce", "shared", "--sync", "none", "--print-offsets"], directory: data)
    }
    // In rounds: 25 lines to every writer, then each writer's 25 offsets back. The four append
    // at the same time within a round, and every round lands after the one before.
    var printed: [[Int]] = Array(repeating: [], count: Self.writers)
    for round in stride(from: 0, to: Self.linesPerWriter, by: 25) {
      for (writer, producer) in producers.enumerated() {
        producer.write((round..<round + 25).map { "w\(writer)-\($0)\n" }.joined())
      }
      for (writer, producer) in producers.enumerated() {
        for _ in 0..<25 {
          let line = try #require(producer.readLine(timeout: 30), "writer \(writer) stopped printing offsets")
          printed[writer].append(Int(line.split(separator: " ").last ?? "") ?? -1)
        }
      }
    }
    for producer in producers { producer.closeInput() }
    for producer in producers {
      let result = try producer.finish()
      #expect(result.status == 0, "\(result)")
    }
    var followedBy: [[String]] = []
    for follower in followers {
      var followed: [String] = []
      while followed.count < Self.writers * Self.linesPerWriter, let line = follower.readLine(timeout: 30) {
        followed.append(line)
      }
      follower.signal(SIGTERM)
      _ = try follower.finish(timeout: 10)
      followedBy.append(followed)
    }

    let consumed = try KQProcess.run(["consume", "shared", "--format", "%o %s\\n"], directory: data)
    try #require(consumed.status == 0, "\(consumed)")
    let pairs = consumed.lines.map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
    let offsets = pairs.map { Int($0[0]) ?? -1 }
    let values = pairs.map { $0.count > 1 ? $0[1] : "" }
    #expect(offsets == Array(0..<(Self.writers * Self.linesPerWriter)))
    for writer in 0..<Self.writers {
      #expect(values.filter { $0.hasPrefix("w\(writer)-") } == (0..<Self.linesPerWriter).map { "w\(writer)-\($0)" })
    }
    #expect(values.count == Self.writers * Self.linesPerWriter)
    // The offsets each writer was told are increasing, together dense, and hold its records.
    #expect(printed.flatMap { $0 }.sorted() == offsets)
    for (writer, told) in printed.enumerated() {
      #expect(told == told.sorted())
      #expect(
        told.map { $0 >= 0 && $0 < values.count ? values[$0] : "" }
          == (0..<Self.linesPerWriter).map { "w\(writer)-\($0)" })
    }
    // The writers interleaved: each round's records lie together and come from all the
    // writers, so there are at least three changes of writer per round.
    let rounds = Self.linesPerWriter / 25
    #expect(zip(values, values.dropFirst()).filter { $0.prefix(3) != $1.prefix(3) }.count >= 3 * rounds)
    // Each follower, reading while the writers wrote, saw the same records in the same order.
    for followed in followedBy { #expect(followed == values) }
  }
}
