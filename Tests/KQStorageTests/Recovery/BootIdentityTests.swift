import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

@Suite("boot identity")
struct BootIdentityTests {
  @Test("a writer records this boot's ID from /proc in kq.lock, so a reboot is noticed")
  func writerRecordsTheRealBootID() throws {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    try Batches.append([[Record(value: Array("a".utf8), timestamp: 1)]], to: log)
    log.close()
    let bootID = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let lock = try String(contentsOfFile: FileNames.lockFile(in: fixture.folder()), encoding: .utf8)
    #expect(bootID.count == 36)
    #expect(lock.hasPrefix("kq-lock 1 \(bootID) "), "kq.lock: \(lock)")
  }
}
