import Foundation
import KQTestSupport
import Testing

@Suite("pipes")
struct PipeTests {
  @Test("lines piped into produce come back out of consume in order")
  func produceThenConsume() throws {
    let directory = try TemporaryDirectory()
    let produced = try KQProcess.run(["produce", "logs", "--create"], directory: directory.path, stdin: "a\nb\n\nc")
    #expect(produced.status == 0, "\(produced)")
    let consumed = try KQProcess.run(["consume", "logs"], directory: directory.path)
    #expect(consumed.status == 0, "\(consumed)")
    #expect(consumed.output == "a\nb\n\nc\n")
  }
}

@Suite("descriptor limits")
struct DescriptorLimitTests {
  @Test("consuming 100 partitions works under a soft limit of 64 descriptors: kq raises it to the hard limit")
  func manyPartitionsUnderLowSoftLimit() throws {
    let sandbox = try KQSandbox()
    try sandbox.ok("topic", "create", "m", "--partitions", "100")
    try sandbox.ok("produce", "m", stdin: (1...1000).map { "\($0)\n" }.joined())
    let run = try sandbox.shell("ulimit -Sn 64 && kq consume m | wc -l && kq consume m --group g | wc -l")
    #expect(run.status == 0, "\(run)")
    #expect(run.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == ["1000", "1000"], "\(run)")
  }
}
