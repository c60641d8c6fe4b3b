import Foundation
import KQTestSupport
import Testing

/// Where an executable is on the test's PATH, if anywhere.
enum ExecutableSearch {
  static func find(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }
}

/// Every shell block of the README's "Examples" section runs as written, with the built kq, and
/// does what the README says (issue 9, item 15: the documented copy pipeline failed). Only
/// what cannot run in a test is stood in for: `tail -F /var/log/app.log` and `psql` are stubs
/// first on PATH, a `--follow` line runs for 3 s, and a cron line runs without its schedule.
@Suite("README examples")
struct ReadmeExampleTests {
  static func exampleBlocks() throws -> [[String]] {
    let readme = try String(contentsOfFile: KQProcess.packageRoot + "/README.md", encoding: .utf8)
    var blocks: [[String]] = []
    var inExamples = false
    var current: [String]?
    for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("## ") { inExamples = line == "## Examples" }
      guard inExamples else { continue }
      if line == "```sh" {
        current = []
      } else if line == "```", let block = current {
        blocks.append(block)
        current = nil
      } else if current != nil {
        current?.append(line)
      }
    }
    return blocks
  }

  /// A README line as the test runs it.
  static func runnable(_ line: String) -> String {
    var line = line
    if line.hasPrefix("*/") || line.first?.isNumber == true {  // a crontab line: drop the 5 schedule fields
      line = line.split(separator: " ", maxSplits: 5).last.map(String.init) ?? line
    }
    if line.contains("--follow") || line.contains(" -f ") || line.hasSuffix(" -f") {
      line = "timeout 3 \(line) || [ $? = 124 ]"
    }
    return line
  }

  @Test("each shell block of README's Examples runs and does what the README says", .localOnly("README's examples run kq topic compact (a data directory's own) and grow a topic (Tansu 0.6.0 has no CreatePartitions)"))
  func examples() throws {
    let blocks = try Self.exampleBlocks()
    #expect(blocks.count >= 4, "README's Examples lost its blocks")
    let sandbox = try KQSandbox()
    try FileManager.default.createDirectory(atPath: sandbox.file("stubs"), withIntermediateDirectories: true)
    try "#!/bin/sh\nprintf 'service started\\nERROR disk full\\n'\n".write(toFile: sandbox.file("stubs/tail"), atomically: true, encoding: .utf8)
    try "#!/bin/sh\ncat >> \"$LOADED\"\n".write(toFile: sandbox.file("stubs/psql"), atomically: true, encoding: .utf8)
    for stub in ["tail", "psql"] { chmod(sandbox.file("stubs/" + stub), 0o755) }
    if ExecutableSearch.find("jq") == nil {  // the filter of the kq pipe example, for these lines only
      try "#!/bin/sh\ngrep '\"level\":\"error\"'\nexit 0\n".write(toFile: sandbox.file("stubs/jq"), atomically: true, encoding: .utf8)
      chmod(sandbox.file("stubs/jq"), 0o755)
    }
    try sandbox.ok("produce", "orders", "--create", stdin: "o1\no2\no3\n")
    let events = ["{\"level\":\"info\",\"msg\":\"up\"}", "{\"level\":\"error\",\"msg\":\"disk full\"}", "not json",
      "{\"level\":\"error\",\"msg\":\"again\"}"]
    try sandbox.ok("produce", "app-events", "--create", stdin: events.joined(separator: "\n") + "\n")
    try sandbox.ok("topic", "create", "errors")

    var outputs: [String] = []
    for block in blocks {
      let script = "export PATH=\(KQSandbox.quote(sandbox.file("stubs"))):$PATH LOADED=\(KQSandbox.quote(sandbox.file("loaded")))\nset -e\n"
        + block.map(Self.runnable).joined(separator: "\n") + "\n"
      let run = try sandbox.shell(script, environment: ["KQ_DIR": sandbox.path])
      #expect(run.status == 0, "README block failed:\n\(block.joined(separator: "\n"))\n\(run)")
      outputs.append(run.output)
    }
    let all = outputs.joined()

    // Pipe stdin into a topic; tail it; grep it by format.
    #expect(try sandbox.records("app-logs").compactMap { JSON.field($0["value"]) } == ["service started", "ERROR disk full"])
    #expect(all.contains("service started\nERROR disk full\n"), "\(all)")
    #expect(all.range(of: #"\d+ 0:1 ERROR disk full\n"#, options: .regularExpression) != nil, "\(all)")
    // Compression: the lz4 topic reads back; describe shows its codecs.
    #expect(try sandbox.records("web-logs").compactMap { JSON.field($0["value"]) } == ["service started", "ERROR disk full"])
    #expect(all.contains("CODECS"), "\(all)")
    // The script: keyed records in Kafka's partitions; the JSON copy is exact, partitions too.
    let users = try sandbox.records("users")
    let copy = try sandbox.records("users-copy")
    #expect(users.count == 2 && copy.count == 2)
    let fields = ["partition", "offset", "timestamp", "key", "value"]
    let describe = { (record: [String: Any]) in fields.map { "\(record[$0] ?? "nil")" } }
    #expect(users.map(describe) == copy.map(describe))
    // The cron load: every record piped to the loader, then committed.
    #expect(sandbox.read("loaded") == "o1\no2\no3\n")
    #expect(try sandbox.committed("loader", topic: "orders") == [3])
    // The stream filter: the error lines, once each, and the group past every line.
    #expect(
      try sandbox.ok("consume", "errors").lines == ["{\"level\":\"error\",\"msg\":\"disk full\"}", "{\"level\":\"error\",\"msg\":\"again\"}"])
    #expect(try sandbox.committed("errors", topic: "app-events") == [4])
    // The changelog: each key's current value; bob's tombstone removed him.
    #expect(all.contains("alice {\"plan\":\"pro\"}\ncarol {\"plan\":\"team\"}\n"), "\(all)")
  }
}
