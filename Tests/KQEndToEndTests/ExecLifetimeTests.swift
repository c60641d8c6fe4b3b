import Glibc
import KQTestSupport
import Testing

/// `--exec`'s command never outlives kq: not after kill -9, not after Ctrl-C or SIGTERM, and
/// neither do the processes it started. So two runs never load the same batch at once.
@Suite("consume --exec command lifetime")
struct ExecLifetimeTests {
  /// Writes its shell's pid to `started`, then waits 30 s in a shell of its own (a grandchild
  /// of kq, which PR_SET_PDEATHSIG alone would not reach) before loading the batch into `out`.
  static func slowLoad(_ kq: KQSandbox) -> String {
    "echo $$ > \(KQSandbox.quote(kq.file("started"))); sh -c 'sleep 30; cat' >> \(KQSandbox.quote(kq.file("out")))"
  }

  /// Starts a group consume of "t" with `slowLoad`; returns it and its command's process group.
  static func startSlowLoad(_ kq: KQSandbox) throws -> (KQProcess.Running, Int32) {
    try kq.ok("produce", "t", "--create", stdin: "a\nb\nc\n")
    let loader = try kq.start("consume", "t", "--group", "g", "--exec", slowLoad(kq))
    var group: Int32?
    #expect(eventually { group = Int32(kq.read("started").filter(\.isNumber)).flatMap(ProcessTable.group(of:)); return group != nil })
    guard let group else { throw KQFailure("the command did not start") }
    #expect(group != getpgrp(), "the command runs in the test's process group")
    return (loader, group)
  }

  @Test("after kill -9 of kq, its command and the command's children are gone, and the next run loads the same batch")
  func killedKq() throws {
    let kq = try KQSandbox()
    let (loader, group) = try Self.startSlowLoad(kq)
    loader.signal(SIGKILL)
    #expect(eventually(timeout: 10) { ProcessTable.livingMembers(ofGroup: group).isEmpty }, "still running: \(ProcessTable.livingMembers(ofGroup: group))")
    #expect(try loader.finish(timeout: 10).status == 137)
    #expect(try kq.committed("g", topic: "t") == [nil])
    _ = try kq.shell("kq consume t --group g --exec 'cat >> out'").checked()
    #expect(kq.read("out") == "a\nb\nc\n")
    #expect(try kq.committed("g", topic: "t") == [3])
  }

  @Test("Ctrl-C or SIGTERM to kq reaches its command's process group: kq exits 130 or 143 at once and commits nothing", arguments: [SIGINT, SIGTERM])
  func signalledKq(signal: Int32) throws {
    let kq = try KQSandbox()
    let (loader, group) = try Self.startSlowLoad(kq)
    #expect(loader.waitUntilCatching([SIGINT, SIGTERM]))
    loader.signal(signal)
    let ended = try loader.finish(timeout: 10)
    #expect(ended.status == 128 + signal && ended.output == "" && ended.errors == "", "\(ended)")
    #expect(ProcessTable.livingMembers(ofGroup: group).isEmpty)
    #expect(kq.read("out") == "")
    #expect(try kq.committed("g", topic: "t") == [nil])
  }

  @Test("a command's exit status above 128 is passed through as an exit, not read as a signal")
  func highExitStatus() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\n")
    let run = try kq.shell("kq consume t --group g --exec 'cat > /dev/null; exit 200'")
    #expect(run.status == 200, "\(run)")
    #expect(run.firstErrorLine.hasPrefix("kq: error: 'cat > /dev/null; exit 200' exited with status 200 on partition 0"), "\(run)")
  }
}
