import Glibc
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

@Suite("reader at a torn tail")
struct ReaderRewrittenTailTests {
  /// A batch of `records` one-letter values with offsets from `base`.
  static func batch(base: Int64, values: [String]) -> [UInt8] {
    var bytes = BatchEncoder.encode(values.map { Record(value: Array($0.utf8), timestamp: 1) })
    bytes.withUnsafeMutableBytes { $0.baseAddress!.storeBigEndian(base, at: BatchLayout.baseOffset) }
    return bytes
  }

  @Test("a torn tail that a recovering writer cuts and writes anew is read from the file, not from the buffer")
  func rewrittenTailIsReadAgain() throws {
    let directory = try TemporaryDirectory()
    let path = directory.at("00000000000000000000.log")
    let first = Self.batch(base: 0, values: ["a", "b"])
    let torn = Array(Self.batch(base: 2, values: ["torn-1", "torn-2", "torn-3"]).prefix(50))
    try ByteSurgery.write(first + torn, to: path)
    let fileSystem = FileSystem()
    let fd = try fileSystem.open(path, O_RDONLY)
    defer { try? fileSystem.close(fd) }
    let reader = SegmentBatchReader(
      fd: fd, path: path, fileSystem: fileSystem, from: 0, expecting: 0, fileSize: Int64(first.count + torn.count))
    guard case .batch(let view, 0) = try reader.next() else { Issue.record("first batch not read"); return }
    #expect(try view.records().map(\.offset) == [0, 1])
    guard case .incomplete(let at) = try reader.next() else { Issue.record("torn tail not seen"); return }
    #expect(at == Int64(first.count))
    // The next writer cuts the torn tail and appends a different batch at the same place.
    let replacement = Self.batch(base: 2, values: ["new"])
    try ByteSurgery.write(first + replacement, to: path)
    try reader.refreshSize()
    guard case .batch(let again, let position) = try reader.next() else { Issue.record("new batch not read"); return }
    #expect(position == Int64(first.count))
    #expect(try again.records().map { String(decoding: $0.record.value ?? [], as: UTF8.self) } == ["new"])
  }
}
