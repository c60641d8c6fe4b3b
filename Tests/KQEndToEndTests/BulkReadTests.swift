import Foundation
import KQTestSupport
import Testing

/// Reads long enough for the reader's mapped windows and its read-ahead thread (from the second
/// 2 MiB window on), through the built kq and real pipes.
@Suite("bulk reads")
struct BulkReadTests {
  static let lineCount = 120_000
  /// `lineCount` lines of 100 bytes (12 MB): six windows, about 90 batches of 128 KiB.
  static let makeLines = "awk 'BEGIN { for (i = 0; i < \(lineCount); i++) printf \"%09d%091d\\n\", i, i }' > lines"

  static func line(_ index: Int) -> String {
    let number = String(index)
    return String(repeating: "0", count: 9 - number.count) + number + String(repeating: "0", count: 91 - number.count) + number
  }

  @Test("a topic of many windows comes back byte for byte: whole, from an offset, up to -n, and through a group")
  func manyWindows() throws {
    let kq = try KQSandbox()
    try kq.shell(Self.makeLines + " && kq produce big --create < lines && kq consume big > out && cmp lines out").checked()
    try kq.shell("kq consume big --from 50000 > out && tail -n +50001 lines | cmp - out").checked()
    try kq.shell("kq consume big --from 1000 -n 70000 > out && sed -n '1001,71000p' lines | cmp - out").checked()
    try kq.shell("kq consume big --group g > out && cmp lines out").checked()
    #expect(try kq.committed("g", topic: "big") == [Int64(Self.lineCount)])
    let json = try kq.shell("kq consume big --json --from 119998").checked()
    #expect(try JSON.lines(json.output).map { JSON.field($0["value"]) } == [Self.line(119_998), Self.line(119_999)])
  }

  @Test("to a regular file, full buffers written by a second thread: the same bytes as through a pipe, in every mode")
  func regularFileOutput() throws {
    let kq = try KQSandbox()
    try kq.shell(Self.makeLines + " && kq produce big --create < lines").checked()
    // After bytes already in the file (the descriptor's offset), and appended (O_APPEND).
    try kq.shell("{ echo first; kq consume big; } > out && { echo first; cat lines; } | cmp - out").checked()
    try kq.shell("echo first > out && kq consume big >> out && { echo first; cat lines; } | cmp - out").checked()
    // Stopping mid-buffer (-n, --until) and the record-by-record path (--json) write the same as a pipe does.
    for arguments in ["-n 70001", "--from 3 --until 100003", "--json --from 110000", "-0"] {
      try kq.shell("kq consume big \(arguments) > out && kq consume big \(arguments) | cmp - out").checked()
    }
  }

  @Test(
    "to a regular file while busy loops take the cores: two threads copying and writing in turn never wait on each other for good",
    .localOnly("the two threads read local partitions; through a broker the busy loops only starve it"))
  func regularFileUnderLoad() throws {
    let kq = try KQSandbox()
    try kq.shell(Self.makeLines + " && kq produce big --create < lines && kq topic create eight -p 8 > /dev/null").checked()
    try kq.shell("for p in 0 1 2 3 4 5 6 7; do head -n 30000 lines | kq produce eight --partition $p || exit 1; done").checked()
    // A thread descheduled while holding the job whose turn it is once left both threads waiting.
    let script = """
      for i in 1 2 3; do (while :; do :; done) & done
      trap 'kill $(jobs -p) 2> /dev/null' EXIT
      for i in $(seq 1 25); do
        timeout -s KILL 30 kq consume big > out || { echo "run $i: status $?"; exit 1; }
        cmp -s lines out || { echo "run $i: output differs"; exit 1; }
        timeout -s KILL 30 kq consume eight > out || { echo "eight, run $i: status $?"; exit 1; }
        test "$(wc -l < out)" -eq 240000 || { echo "eight, run $i: $(wc -l < out) lines"; exit 1; }
      done
      """
    let result = try kq.shell(script, timeout: 600)
    #expect(result.status == 0, "\(result)")
  }

  @Test("a write that fails on the writer thread ends the read with exit 74, as on the reader's own thread")
  func regularFileWriteFailure() throws {
    let kq = try KQSandbox()
    try kq.shell(Self.makeLines + " && kq produce big --create < lines").checked()
    // A regular file opened read-only as stdout: every write fails with EBADF.
    for arguments in ["", "-n 2"] {
      let result = try kq.shell("kq consume big \(arguments) 1< lines; echo \"status $?\"")
      #expect(result.output == "status 74\n")
      #expect(result.errors == "kq: error: cannot write standard output: Bad file descriptor\n")
    }
  }

  @Test("-0 over two partitions of many windows gives every value once")
  func nulTerminatedTwoPartitions() throws {
    let kq = try KQSandbox()
    let script = Self.makeLines + """
       && kq topic create two --partitions 2 > /dev/null
      kq produce two --partition 0 < lines && kq produce two --partition 1 < lines
      kq consume two -0 | tr '\\0' '\\n' | sort > out && cat lines lines | sort | cmp - out
      """
    try kq.shell(script).checked()
  }

  @Test("| head ends a bulk read quietly with status 0 while the read-ahead thread runs")
  func headEndsQuietly() throws {
    let kq = try KQSandbox()
    try kq.shell(Self.makeLines + " && kq produce big --create < lines").checked()
    let result = try kq.shell("kq consume big | head -n 3; echo \"status ${PIPESTATUS[0]}\"").checked()
    #expect(result.output == (0..<3).map { Self.line($0) + "\n" }.joined() + "status 0\n")
    #expect(result.errors == "")
  }

  @Test("a record larger than a 2 MiB window, amid small ones, comes back whole")
  func recordLargerThanWindow() throws {
    let kq = try KQSandbox()
    let script = """
      kq topic create t --config max.message.bytes=8388608 > /dev/null
      { awk 'BEGIN { for (i = 0; i < 30000; i++) printf "%099d\\n", i }'
        head -c 3000000 /dev/zero | tr '\\0' y; echo
        awk 'BEGIN { for (i = 0; i < 30000; i++) printf "%099d\\n", i }'; } > lines
      test "$(wc -c < lines)" -eq 9000001 && kq produce t < lines && kq consume t > out && cmp lines out
      """
    try kq.shell(script).checked()
  }
}
