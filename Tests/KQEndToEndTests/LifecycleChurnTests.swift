import Foundation
import Glibc
import KQTestSupport
import Testing

/// Topics created, altered and deleted while others produce (issue 10, concurrency): the
/// lifecycle of one topic never touches another's records.
@Suite("lifecycle churn")
struct LifecycleChurnTests {
  @Test("topics created, altered and deleted while four producers write another: every record once, in order", .localOnly("adds partitions: Tansu 0.6.0 has no CreatePartitions"))
  func churnWhileProducing() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "a", "--partitions", "2", "--config", "segment.bytes=4KiB")
    let producers = try (0..<4).map { writer in
      let process = try kq.start("produce", "a", "--sync", "none", "-K", ":")
      return (writer, process)
    }
    // Topic "a-1" (whose partition folders "a-1-0"… sit beside "a-0" and "a-1") and "b" come
    // and go while the producers write, each change between two rounds of lines.
    for round in 0..<20 {
      for (writer, producer) in producers {
        producer.write((0..<50).map { "k\(writer):w\(writer)-\(round * 50 + $0)\n" }.joined())
      }
      for name in ["a-1", "b"] {
        try kq.ok("topic", "create", name, "--partitions", "1")
        try kq.ok("produce", name, stdin: "x\n")
        try kq.ok("topic", "alter", name, "--partitions", "3")
        try kq.ok("topic", "delete", name)
      }
    }
    for (_, producer) in producers { producer.closeInput() }
    for (writer, producer) in producers {
      let result = try producer.finish()
      #expect(result.status == 0, "writer \(writer): \(result)")
    }
    #expect(try kq.ok("topic", "list").lines == ["a"])
    for partition in 0..<2 {
      _ = try LogValidation.readAll(folder: kq.path + "/a-\(partition)")
    }
    let values = try kq.ok("consume", "a").lines
    #expect(values.count == 4 * 20 * 50)
    for writer in 0..<4 {
      #expect(values.filter { $0.hasPrefix("w\(writer)-") } == (0..<1000).map { "w\(writer)-\($0)" })
    }
  }
}
