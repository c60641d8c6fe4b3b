import Foundation
import KQStorage
import KQTestSupport
import Testing
import KQLog

/// Issue 10, hostile input as a process meets it: stdin or stdout closed, stdout on a full
/// device, a read-only or unreadable data directory. Each gets its status and a one-line
/// `kq: error:`, and the data directory holds exactly what it held.
@Suite("hostile streams and directories")
struct HostileStreamsTests {
  func records(_ kq: KQSandbox) throws -> String { try kq.run("consume", "t").output }

  @Test("stdout on a full device or closed: 74 and one line; stdin closed: nothing stored, exit 0")
  func streams() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\nb\n")
    let before = try records(kq)
    let verify = TestBackend.isCluster ? [] : [("kq verify > /dev/full", Int32(74))]  // a data directory's own
    for (script, status) in [
      ("kq consume t > /dev/full", Int32(74)), ("kq consume t >&-", 74), ("kq describe t >&-", 74), ("kq produce t <&-", 0),
      ("kq produce t --print-offsets >&- < /dev/null", 74),
    ] + verify {
      let result = try kq.shell(script)
      #expect(result.status == status, "\(script): \(result)")
      let lines = result.errors.split(separator: "\n")
      #expect(lines.count <= 1 && lines.allSatisfy { $0.hasPrefix("kq: ") }, "\(script): \(result.errors)")
    }
    #expect(try records(kq) == before)
  }

  @Test("a read-only or unreadable data directory: refused with a one-line error, nothing changed", .localOnly("changes the permissions of the data directory's files"))
  func permissions() throws {
    guard getuid() != 0 else {
      print("skipped: running as root, where file permissions do not refuse access")
      return
    }
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", stdin: "a\n")
    chmod(kq.path + "/t-0", 0o500)
    defer { chmod(kq.path + "/t-0", 0o700) }
    let produced = try kq.run("produce", "t", stdin: "b\n")
    #expect(produced.status == 74, "\(produced)")
    chmod(kq.path + "/t-0", 0o000)
    let consumed = try kq.run("consume", "t")
    #expect(consumed.status == 74, "\(consumed)")
    #expect(consumed.errors.hasPrefix("kq: error: "))
  }
}
