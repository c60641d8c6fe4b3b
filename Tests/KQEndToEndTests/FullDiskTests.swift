import Foundation
import Glibc
import KQTestSupport
import Testing

/// A data directory on a 2 MiB tmpfs (issue 10): producing until the disk is full ends with a
/// non-zero exit naming the full disk; everything acknowledged stays readable, no partial
/// batch shows, and once space is freed appends continue at the right offset. Skipped, with
/// the reason printed, where the test may not mount.
@Suite("full disk", .localOnly("fills the tmpfs a data directory is on"))
struct FullDiskTests {
  static func system(_ executable: String, _ arguments: [String]) throws -> KQProcess.Result {
    try KQSandbox().shell(([executable] + arguments).map(KQSandbox.quote).joined(separator: " ") + " 2>&1")
  }

  @Test("producing into a full tmpfs fails cleanly and continues at the right offset after space is freed")
  func fullDisk() throws {
    let scratch = try TemporaryDirectory("kq-full")
    let mountPoint = scratch.at("disk")
    mkdir(mountPoint, 0o700)
    let mounted = try Self.system("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint])
    guard mounted.status == 0 else {
      print("full disk test skipped: mount -t tmpfs refused: \(mounted.output)")
      return
    }
    defer { _ = try? Self.system("/bin/umount", ["-l", mountPoint]) }
    // Room to free later: a filler file taking a quarter of the disk.
    let filler = mountPoint + "/filler"
    try Data(repeating: 7, count: 512 * 1024).write(to: URL(fileURLWithPath: filler))
    let data = mountPoint + "/data"
    func kq(_ arguments: [String], stdin: String) throws -> KQProcess.Result {
      try KQProcess.run(arguments, directory: data, stdin: stdin)
    }
    #expect(try kq(["topic", "create", "t", "--config", "segment.bytes=256KiB"], stdin: "").status == 0)
    var acknowledged: [String] = []
    var failure: KQProcess.Result?
    for run in 0..<100 {
      let lines = (0..<500).map { "run \(run) record \($0) " + String(repeating: "x", count: 100) }
      let result = try kq(["produce", "t", "--print-offsets"], stdin: lines.joined(separator: "\n") + "\n")
      // Printed offsets acknowledge records even from the run that fails.
      acknowledged += Array(lines.prefix(result.lines.count))
      if result.status != 0 {
        failure = result
        break
      }
    }
    let failed = try #require(failure, "2 MiB never filled up")
    #expect(failed.status == 74, "\(failed)")
    #expect(failed.errors.contains("No space left on device") && failed.errors.contains("free some disk space"), "\(failed)")
    #expect(failed.errors.split(separator: "\n").count == 1, "\(failed)")
    // Everything acknowledged is there, and nothing but whole records of what was sent.
    let stored = try kq(["consume", "t"], stdin: "")
    #expect(stored.status == 0, "\(stored)")
    #expect(Array(stored.lines.prefix(acknowledged.count)) == acknowledged)
    let extra = stored.lines.dropFirst(acknowledged.count)
    #expect(extra.allSatisfy { $0.hasPrefix("run ") && $0.hasSuffix(String(repeating: "x", count: 100)) })
    _ = try LogValidation.readAll(folder: data + "/t-0")
    // Space freed: the next run continues at the log end.
    unlink(filler)
    let after = try kq(["produce", "t", "--print-offsets"], stdin: "after\n")
    #expect(after.status == 0, "\(after)")
    #expect(after.lines == ["0 \(stored.lines.count)"])
    #expect(try kq(["consume", "t"], stdin: "").lines.last == "after")
  }
}
