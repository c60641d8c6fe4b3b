import Foundation

/// A fresh data directory and the built `kq` bound to it, for end-to-end tests: run kq, run a
/// shell pipeline with kq first on its PATH, start either and talk to it while it runs. Under
/// `KQ_TEST_BROKERS=tansu` (`TestBackend`) it also starts a Tansu broker of its own, and every
/// process it starts works on that broker (`KQ_BROKERS` wins over `KQ_DIR`).
package final class KQSandbox: @unchecked Sendable {
  package let directory: TemporaryDirectory
  /// The data directory (`KQ_DIR` of every process started here).
  package var path: String { directory.path + "/data" }
  /// The sandbox's broker in broker mode, else nil.
  package let broker: TansuBroker?
  /// What every process started here gets in its environment: `KQ_BROKERS` in broker mode.
  package var environment: [String: String] { broker.map { ["KQ_BROKERS": $0.address] } ?? [:] }

  /// `inMemory`: in /dev/shm, where fsync costs nothing (for searches that run kq thousands
  /// of times and need no disk: a kill keeps what reached the page cache).
  package init(inMemory: Bool = false) throws {
    guard let backend = TestBackend.named(TestBackend.requested) else {
      throw KQFailure("KQ_TEST_BROKERS='\(TestBackend.requested ?? "")' names no test backend: leave it unset, or set it to 'tansu'")
    }
    directory = try TemporaryDirectory("kq-e2e", inMemory: inMemory)
    broker = backend == .tansu ? try TansuBroker() : nil
  }

  /// `extra` over the sandbox's own environment.
  private func environment(_ extra: [String: String]) -> [String: String] {
    environment.merging(extra) { $1 }
  }

  /// A path beside the data directory, for files the test's shells write.
  package func file(_ name: String) -> String { directory.at(name) }

  /// Runs kq to completion.
  @discardableResult
  package func run(_ arguments: String..., stdin: String = "", environment: [String: String] = [:]) throws -> KQProcess.Result {
    try KQProcess.run(arguments, directory: path, stdin: Array(stdin.utf8), environment: self.environment(environment))
  }

  @discardableResult
  package func run(_ arguments: [String], stdin: [UInt8], environment: [String: String] = [:]) throws -> KQProcess.Result {
    try KQProcess.run(arguments, directory: path, stdin: stdin, environment: self.environment(environment))
  }

  /// Runs kq and throws, naming both streams, unless it exits 0.
  @discardableResult
  package func ok(_ arguments: String..., stdin: String = "", environment: [String: String] = [:]) throws -> KQProcess.Result {
    let result = try run(arguments, stdin: Array(stdin.utf8), environment: environment)
    guard result.status == 0 else { throw KQFailure("kq \(arguments.joined(separator: " ")) failed:\n\(result)") }
    return result
  }

  /// `kq consume TOPIC --json ARGUMENTS...`, parsed: one object per record.
  package func records(_ topic: String, _ arguments: String...) throws -> [[String: Any]] {
    try JSON.lines(try run(["consume", topic, "--json"] + arguments, stdin: []).checked().output)
  }

  /// `kq group describe GROUP --json`: the partitions of `topic` in order, each row's fields.
  package func groupRows(_ group: String, topic: String) throws -> [[String: Any]] {
    let result = try run(["group", "describe", group, "--json"], stdin: []).checked()
    let rows = (try JSON.object(result.output)["partitions"] as? [[String: Any]]) ?? []
    return rows.filter { $0["topic"] as? String == topic }
  }

  /// The group's committed offset of each partition of `topic` (nil where it has none). A
  /// cluster keeps a group by its offsets: one without any shows no partitions of `topic`, or,
  /// without members too, does not exist (Tansu 0.6.0); both read as nothing committed.
  package func committed(_ group: String, topic: String) throws -> [Int64?] {
    if broker != nil {
      let described = try run(["group", "describe", group, "--json"], stdin: [])
      let unknown = described.status == 66 && described.firstErrorLine.hasPrefix("kq: error: group '\(group)' does not exist")
      if try unknown || groupRows(group, topic: topic).isEmpty {
        let partitions = try JSON.object(try run(["describe", topic, "--json"], stdin: []).checked().output)["partitions"]
        return Array(repeating: nil, count: (partitions as? [Any])?.count ?? 0)
      }
    }
    return try groupRows(group, topic: topic).map { JSON.int($0["committed_offset"]) }
  }

  package func start(_ arguments: String..., environment: [String: String] = [:]) throws -> KQProcess.Running {
    try start(arguments, environment: environment)
  }

  package func start(_ arguments: [String], environment: [String: String] = [:]) throws -> KQProcess.Running {
    try KQProcess.start(arguments, directory: path, environment: self.environment(environment))
  }

  /// `bash -c script` in the sandbox's folder, with the built kq first on PATH.
  @discardableResult
  package func shell(_ script: String, stdin: String = "", environment: [String: String] = [:], timeout: TimeInterval = 60)
    throws -> KQProcess.Result
  {
    let running = try startShell(script, environment: environment)
    running.write(stdin)
    running.closeInput()
    return try running.finish(timeout: timeout)
  }

  package func startShell(_ script: String, environment: [String: String] = [:]) throws -> KQProcess.Running {
    var env = self.environment(environment)
    let bin = URL(fileURLWithPath: KQProcess.binaryPath).deletingLastPathComponent().path
    env["PATH"] = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    let cd = "cd \(Self.quote(directory.path)) || exit 99\n"
    return try KQProcess.Running(
      arguments: ["--norc", "--noprofile", "-c", cd + script], directory: path, environment: env, executable: "/bin/bash")
  }

  /// The contents of a file beside the data directory ("" when absent).
  package func read(_ name: String) -> String {
    (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? ""
  }

  package func write(_ text: String, to name: String) throws {
    try text.write(toFile: file(name), atomically: true, encoding: .utf8)
  }

  /// `'text'` for a POSIX shell.
  package static func quote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

/// A failed step of an end-to-end test, with the process output that explains it.
package struct KQFailure: Error, CustomStringConvertible {
  package let description: String
  package init(_ description: String) { self.description = description }
}

/// JSON printed by kq, parsed for field-by-field checks.
package enum JSON {
  /// One JSON document.
  package static func object(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? [String: Any]
    else { throw KQFailure("not a JSON object: \(text)") }
    return object
  }

  package static func array(_ text: String) throws -> [Any] {
    guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any] else {
      throw KQFailure("not a JSON array: \(text)")
    }
    return array
  }

  /// JSON Lines: one object per line.
  package static func lines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { try object(String($0)) }
  }

  /// A JSON number as Int64 (nil for null or anything else).
  package static func int(_ value: Any?) -> Int64? {
    if let value = value as? Int64 { return value }
    if let value = value as? Int { return Int64(value) }
    return (value as? NSNumber)?.int64Value
  }

  package static func isNull(_ value: Any?) -> Bool { value is NSNull }

  /// A key, value or header value as kq writes it: the string, `base64:…` for
  /// `{"base64":"…"}`, nil for null.
  package static func field(_ value: Any?) -> String? {
    if let text = value as? String { return text }
    if let object = value as? [String: Any], let encoded = object["base64"] as? String { return "base64:" + encoded }
    return nil
  }

  /// A record's headers as `[name, value]` pairs in order (value nil for null).
  package static func headers(_ value: Any?) -> [[String?]] {
    ((value as? [Any]) ?? []).map { pair in ((pair as? [Any]) ?? []).map { field($0) } }
  }
}

extension KQProcess.Result {
  /// Itself, or a thrown failure naming both streams unless the exit status is 0.
  @discardableResult
  package func checked() throws -> KQProcess.Result {
    guard status == 0 else { throw KQFailure("kq failed:\n\(self)") }
    return self
  }

  /// stderr's first line.
  package var firstErrorLine: String { errors.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? "" }
}

/// Waits until `condition` holds, checking every few milliseconds; false after `timeout`.
/// For state that only a file shows (a commit, an orphaned command's output), not a pipe.
package func eventually(timeout: TimeInterval = 20, _ condition: () throws -> Bool) rethrows -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while true {
    if try condition() { return true }
    if Date() > deadline { return false }
    usleep(5000)
  }
}
