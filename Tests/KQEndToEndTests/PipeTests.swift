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
