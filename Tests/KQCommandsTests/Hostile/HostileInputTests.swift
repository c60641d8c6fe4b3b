import Foundation
import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Issue 10, the hostile input search: names, flags, numbers, durations, sizes, timestamps,
/// JSON lines and data directories that must be refused. Each row gets its exit status, an
/// error whose first line is `kq: error: …`, and leaves the data directory byte for byte as it
/// was (a refused command changes nothing).
@Suite("hostile input")
struct HostileInputTests {
  struct Row: CustomStringConvertible, Sendable {
    var arguments: [String]
    var stdin: [UInt8] = []
    var status: Int32
    var description: String { arguments.joined(separator: " ") + (stdin.isEmpty ? "" : " < \(stdin.count) bytes") }
  }

  static let long = String(repeating: "a", count: 250)
  static let deep = Array((String(repeating: "[", count: 100_000) + "\n").utf8)

  static let rows: [Row] = {
    var rows: [Row] = []
    // Topic and group names that could leave the directory, or are not names at all.
    for name in ["..", ".", "a/b", "/etc/x", "", long, "a\u{1}b", "a\nb", "t\u{0430}", "t\u{200B}", "t "] {
      rows.append(Row(arguments: ["consume", "--", name], status: 64))
      rows.append(Row(arguments: ["produce", "--create", "--", name], stdin: Array("x\n".utf8), status: 64))
      rows.append(Row(arguments: ["topic", "create", "--", name], status: 64))
      rows.append(Row(arguments: ["consume", "t", "--group", name], status: 64))
      rows.append(Row(arguments: ["group", "describe", "--", name], status: 64))
      rows.append(Row(arguments: ["verify", "--", name], status: 64))
    }
    // Unknown, repeated and conflicting flags.
    for arguments in [
      ["consume", "t", "--bogus"], ["verify", "--repiar"], ["produce", "t", "--json", "--null"],
      ["consume", "t", "--json", "--format", "%s"], ["topic", "create", "u", "--partitions", "2", "--partitions", "3"],
      ["consume", "t", "--no-commit"], ["consume", "t", "-f", "--idle"], ["topic", "create"], ["verify", "--json=yes"],
    ] { rows.append(Row(arguments: arguments, status: 64)) }
    // Numbers at and past every bound.
    for value in ["-1", "2", "10000", "9223372036854775807", "9223372036854775808", "0x1", "", " 1", "1e3", "٣"] {
      rows.append(Row(arguments: ["consume", "t", "-p", value], status: 64))
    }
    for value in ["0", "-1", "10001", "9223372036854775808", "0x2", ""] {
      rows.append(Row(arguments: ["topic", "create", "u", "--partitions", value], status: 64))
    }
    for value in ["-1", "0", "9223372036854775808", "0x10", ""] {
      rows.append(Row(arguments: ["consume", "t", "-n", value], status: 64))
    }
    // Durations, sizes and timestamps.
    for value in ["-1d", "", "d", "1.5.5d", "99999999999999999999d", "9223372036854775807d", "1fortnight"] {
      rows.append(Row(arguments: ["topic", "create", "u", "--retention", value], status: 64))
      rows.append(Row(arguments: ["consume", "t", "--since", value], status: 64))
    }
    for setting in [
      "segment.bytes=1", "segment.bytes=99999999999999999999", "segment.bytes=0x400", "segment.bytes=",
      "max.message.bytes=-5", "retention.ms=-2", "partitions=0", "cleanup.policy=wipe", "nonsense=1", "=", "segment.bytes",
    ] {
      rows.append(Row(arguments: ["topic", "create", "u", "--config", setting], status: 64))
      rows.append(Row(arguments: ["topic", "alter", "t", "--config", setting], status: 64))
    }
    for value in ["-1", "9223372036854775808", "2023-13-01T00:00:00Z", "yesterday", "", "@"] {
      rows.append(Row(arguments: ["consume", "t", "--until", value], status: 64))
    }
    // Malformed, truncated, deeply nested and non-UTF-8 JSON lines; a line over max.message.bytes.
    for line in [
      "{", "{\"value\":", "null", "[]", "{\"value\": \"\\ud800\"}", "{\"value\": 1}", "{\"partition\": 99, \"value\": \"x\"}",
      "{\"value\": \"x\", \"value\": \"y\"}", "{\"headers\": [[1,2]], \"value\": \"x\"}", "{\"timestamp\": 9223372036854775808}",
    ] {
      rows.append(Row(arguments: ["produce", "t", "--json"], stdin: Array((line + "\n").utf8), status: 65))
    }
    rows.append(Row(arguments: ["produce", "t", "--json"], stdin: deep, status: 65))
    rows.append(Row(arguments: ["produce", "t", "--json"], stdin: [0x7B, 0xFF, 0xFE, 0x7D, 0x0A], status: 65))
    rows.append(Row(arguments: ["produce", "s"], stdin: Array((String(repeating: "x", count: 3000) + "\n").utf8), status: 65))
    return rows
  }()

  let directory: TemporaryDirectory
  init() throws { directory = try TemporaryDirectory("kq-hostile") }

  func kq(_ arguments: [String], stdin: [UInt8] = [], dir: String? = nil) -> (status: Int32, output: String, errors: String) {
    let stdout = MemorySink()
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": dir ?? directory.at("data")], stdin: MemorySource(stdin), stdout: stdout, stderr: stderr,
      clock: ManualClock(1_700_000_000_000))
    let status = KQ.run(arguments: ["kq"] + arguments, context: context)
    return (status.rawValue, stdout.text, stderr.text)
  }

  func snapshot() throws -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    let root = directory.at("data")
    guard let walker = FileManager.default.enumerator(atPath: root) else { return files }
    while let path = walker.nextObject() as? String {
      var isFolder: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isFolder)
      files[path] = isFolder.boolValue ? [] : Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + path)))
    }
    return files
  }

  func makeReference() throws {
    #expect(kq(["topic", "create", "t", "--partitions", "2"]).status == 0)
    #expect(kq(["topic", "create", "s", "--config", "max.message.bytes=2000"]).status == 0)
    #expect(kq(["produce", "t"], stdin: Array("a\nb\nc\n".utf8)).status == 0)
    #expect(kq(["consume", "t", "--group", "g"]).status == 0)
  }

  @Test("every row: its status, a one-line 'kq: error:' message, and the data directory unchanged")
  func table() throws {
    try makeReference()
    let before = try snapshot()
    var failures: [String] = []
    for row in Self.rows {
      let run = kq(row.arguments, stdin: row.stdin)
      let first = run.errors.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
      if run.status != row.status { failures.append("\(row): exit \(run.status), expected \(row.status): \(run.errors)") }
      if !first.hasPrefix("kq: error: ") { failures.append("\(row): first stderr line is '\(first)'") }
      if try snapshot() != before { failures.append("\(row): the data directory changed") }
    }
    print("hostile input: \(Self.rows.count) rows")
    let summary = failures.joined(separator: "\n")
    #expect(failures.isEmpty, "\(summary)")
  }

  @Test("a missing, file-instead-of-folder, or foreign data directory is refused and left as it was")
  func dataDirectories() throws {
    let file = directory.at("file")
    try Data("not a directory\n".utf8).write(to: URL(fileURLWithPath: file))
    let foreign = directory.at("home")
    try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
    try Data("mine\n".utf8).write(to: URL(fileURLWithPath: foreign + "/notes.txt"))
    for (dir, commands, status) in [
      (directory.at("missing"), [["consume", "t"], ["verify"], ["group", "describe", "g"]], Int32(66)),
      (file, [["consume", "t"], ["verify"], ["produce", "t", "--create"], ["topic", "list"]], Int32(73)),
      (foreign, [["consume", "t"], ["verify"], ["produce", "t", "--create"]], Int32(73)),
    ] {
      for command in commands {
        let run = kq(command, stdin: Array("x\n".utf8), dir: dir)
        #expect(run.status == status, "\(dir) \(command): \(run.errors)")
        #expect(run.errors.hasPrefix("kq: error: "), "\(command): \(run.errors)")
      }
    }
    #expect(!FileManager.default.fileExists(atPath: directory.at("missing")))
    #expect(try String(contentsOfFile: file, encoding: .utf8) == "not a directory\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: foreign) == ["notes.txt"])
  }
}
