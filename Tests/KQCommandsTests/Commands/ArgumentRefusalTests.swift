import Foundation
import KQStorage
import KQTestSupport
import Testing

@testable import KQCommands
import KQLog

/// Values the command line and the data directory's marker must refuse rather than guess at
/// (issue 9, items 16 and 19).
@Suite("refused arguments and markers")
struct ArgumentRefusalTests {
  let directory: TemporaryDirectory
  init() throws { directory = try TemporaryDirectory("kq-refusal") }

  func kq(_ arguments: [String], dir: String? = nil) -> (status: KQCommands.ExitStatus, errors: String) {
    let stderr = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": dir ?? directory.at("data")], stdin: MemorySource([]), stdout: MemorySink(), stderr: stderr,
      clock: ManualClock(1_700_000_000_000))
    return (KQ.run(arguments: ["kq"] + arguments, context: context), stderr.text)
  }

  @Test("a DURATION flag without a unit is a usage error, not milliseconds", arguments: [
    ["consume", "t", "--since", "15"], ["consume", "t", "-f", "--idle", "30"], ["topic", "create", "t", "--retention", "7"],
  ])
  func durationNeedsUnit(arguments: [String]) {
    let run = kq(arguments)
    #expect(run.status == .usage, "\(run.errors)")
    #expect(run.errors.contains("with a unit"), "\(run.errors)")
    #expect(!FileManager.default.fileExists(atPath: directory.at("data/topics/t")))
  }

  @Test("a bad global option is refused also where it does not apply (a data directory, not a cluster)", arguments: [
    ["--broker-timeout", "abc"], ["--broker-timeout", "0s"], ["--brokers", ""], ["--brokers", "  "],
  ])
  func globalOptionsChecked(flags: [String]) {
    let run = kq(["--dir", directory.at("data")] + flags + ["topic", "list"])
    #expect(run.status == .usage, "\(run.errors)")
    #expect(run.errors.hasPrefix("kq: error: invalid value"), "\(run.errors)")
  }

  @Test("one config key set twice, by --retention and --config or by two --config, is refused", arguments: [
    ["--retention", "7d", "--config", "retention.ms=1d"], ["--config", "retention.ms=1d", "--retention", "7d"],
    ["--config", "segment.bytes=1MiB", "--config", "segment.bytes=2MiB"],
  ])
  func conflictingSettings(flags: [String]) {
    let run = kq(["topic", "create", "t"] + flags)
    #expect(run.status == .usage, "\(run.errors)")
    let twoConfigs = flags.filter { $0 == "--config" }.count == 2
    #expect(run.errors.contains(twoConfigs ? "was given more than once" : "cannot be used together"), "\(run.errors)")
    #expect(!FileManager.default.fileExists(atPath: directory.at("data/topics/t")))
    _ = kq(["topic", "create", "u"])
    #expect(kq(["topic", "alter", "u"] + flags).status == .usage)
  }

  @Test("only a well-formed marker naming a newer format is 'newer' (69); any other marker is damage (74)", arguments: [
    ("kq data directory format 2\n", KQCommands.ExitStatus.unavailable),
    ("kq data directory format 123456789012345678901234567890\n", .unavailable),
    ("kq data directory format 1x\n", .ioError), ("kq data directory format 02\n", .ioError),
    ("kq data directory format 1", .ioError), ("kq data directory format \n", .ioError), ("", .ioError),
    ("garbage\n", .ioError), ("kq data directory format -1\n", .ioError), ("kq data directory format 0\n", .ioError),
  ])
  func marker(text: String, status: KQCommands.ExitStatus) throws {
    #expect(kq(["topic", "create", "t"]).status == .success)
    try text.write(toFile: directory.at("data/kq-format"), atomically: true, encoding: .utf8)
    for command in [["topic", "list"], ["consume", "t"], ["topic", "create", "u"]] {
      let run = kq(command)
      #expect(run.status == status, "\(command): \(run.errors)")
      #expect(run.errors.contains("kq-format"), "\(run.errors)")
    }
    #expect(try String(contentsOfFile: directory.at("data/kq-format"), encoding: .utf8) == text)
  }

  @Test("--dir naming a file says it is not a directory")
  func directoryIsAFile() throws {
    try "x".write(toFile: directory.at("file"), atomically: true, encoding: .utf8)
    for command in [["topic", "list"], ["topic", "create", "t"], ["consume", "t"]] {
      let run = kq(command, dir: directory.at("file"))
      #expect(run.errors.contains("is not a directory"), "\(command): \(run.errors)")
      #expect(!run.errors.contains("not empty"), "\(run.errors)")
      #expect(run.status != .success)
    }
  }
}
