import Glibc
import KQTestSupport
import Testing

@testable import KQStorage

/// `FileSystem.preallocate` and `releaseBlocksPastEnd` on a real file: the size never changes,
/// the blocks past the end go, and the modification time stays what it was.
@Suite("blocks reserved past a file's end")
struct PreallocationReleaseTests {
  static func status(_ fd: CInt) throws -> stat {
    var info = stat()
    try #require(fstat(fd, &info) == 0)
    return info
  }

  @Test("a reservation keeps the size; its release frees the blocks and keeps the modification time")
  func reserveAndRelease() throws {
    let directory = try TemporaryDirectory("kq-prealloc")
    let path = directory.at("segment.log")
    let fileSystem = FileSystem()
    let fd = try fileSystem.open(path, O_RDWR | O_CREAT)
    defer { try? fileSystem.close(fd) }
    let bytes = [UInt8](repeating: 7, count: 10_000)
    try fileSystem.write(bytes, to: fd, at: 0, path: path)
    let reserved = fileSystem.preallocate(fd, from: 10_000, count: 8 << 20)
    try #require(reserved, "fallocate refused here: nothing to release")
    let before = try Self.status(fd)
    #expect(before.st_size == 10_000)
    #expect(Int64(before.st_blocks) * 512 >= 8 << 20)
    // An old modification time, which the release must keep.
    let old = timespec(tv_sec: 1_000_000_000, tv_nsec: 0)
    try #require(futimens(fd, [old, old]) == 0)
    // Within the slack: nothing done.
    fileSystem.releaseBlocksPastEnd(fd, slack: 16 << 20)
    #expect(Int64(try Self.status(fd).st_blocks) * 512 >= 8 << 20)
    // A slack just over what lies past the end: nothing done, the size kept.
    fileSystem.releaseBlocksPastEnd(fd, slack: Int64(before.st_blocks) * 512)
    #expect(try Self.status(fd).st_size == 10_000)
    #expect(Int64(try Self.status(fd).st_blocks) * 512 >= 8 << 20)
    fileSystem.releaseBlocksPastEnd(fd, slack: 64 << 10)
    let after = try Self.status(fd)
    #expect(after.st_size == 10_000)
    #expect(Int64(after.st_blocks) * 512 <= 12_288 + (64 << 10), "\(after.st_blocks) blocks")
    #expect(after.st_mtim.tv_sec == old.tv_sec)
    var back = [UInt8](repeating: 0, count: 10_000)
    #expect(pread(fd, &back, 10_000, 0) == 10_000 && back == bytes)
  }
}
