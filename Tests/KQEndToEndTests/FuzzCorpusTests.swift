import Foundation
import KQTestSupport
import Testing

/// Every input of the committed fuzz corpus (Tests/Fuzz/Corpus: the seeds, and each input that
/// once crashed a target or made it answer wrong) runs through its target without a crash or a
/// wrong answer, in the ordinary build of kq-fuzz (Tests/Fuzz/README.md).
@Suite("fuzz corpus")
struct FuzzCorpusTests {
  @Test(
    "each committed fuzz input runs through its target cleanly",
    arguments: ["batch", "index", "recovery", "json", "arguments", "gzip", "snappy", "lz4", "zstd"])
  func corpusReplays(target: String) throws {
    let corpus = KQProcess.packageRoot + "/Tests/Fuzz/Corpus/" + target
    let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { !$0.hasPrefix(".") }
    let scratch = try TemporaryDirectory("kq-fuzz-replay", inMemory: true)
    let result = try KQProcess.runBuilt("kq-fuzz", [target, corpus], environment: ["KQ_FUZZ_SCRATCH": scratch.path])
    #expect(result.status == 0, "\(result)")
    #expect(result.output == "kq-fuzz \(target): \(inputs.count) inputs ran\n")
  }
}
