import KQTestSupport
import Testing

@testable import KQStorage

/// Where a segment reader's mapped windows lie (`SegmentBatchReader.windowBounds`): whole 2 MiB
/// blocks of the file, which the kernel can map with one page-table entry each.
@Suite("window bounds")
struct WindowBoundsTests {
  static let block = Int64(SegmentBatchReader.windowSize)
  static let slack = Int64(SegmentBatchReader.windowSlack)
  static let page = Int64(MappingFaults.pageSize)

  /// The windows a reader maps reading batches of these sizes from `from` to the end, as
  /// `mapWindow` makes them: each from the first batch the last one did not hold whole.
  static func windows(batchSizes: [Int64], from: Int = 0) -> (windows: [(start: Int64, end: Int64)], fileSize: Int64) {
    var starts: [Int64] = []
    var position: Int64 = 0
    for size in batchSizes {
      starts.append(position)
      position += size
    }
    let fileSize = position
    var windows: [(start: Int64, end: Int64)] = []
    var index = from
    while index < starts.count {
      let at = starts[index]
      var window = SegmentBatchReader.windowBounds(at: at, fileSize: fileSize)
      window.end = max(window.end, at + batchSizes[index])
      windows.append(window)
      while index < starts.count && starts[index] + batchSizes[index] <= window.end { index += 1 }
    }
    return (windows, fileSize)
  }

  @Test("batches no larger than the slack: every window after the first starts on a block, and every block of the file lies whole in one")
  func sequential() {
    var random = SeededGenerator(seed: 11)
    let sizes = (0..<3000).map { _ in Int64.random(in: 61...Self.slack, using: &random) }
    let (windows, fileSize) = Self.windows(batchSizes: sizes)
    #expect(windows.count > 50)
    for window in windows {
      #expect(window.start % Self.block == 0)
      #expect(window.end - window.start <= Self.block + Self.slack)
    }
    for start in stride(from: Int64(0), to: fileSize - Self.block, by: Int(Self.block)) {
      #expect(windows.contains { $0.start <= start && start + Self.block <= $0.end }, "block at \(start)")
    }
  }

  @Test("a read from the middle of a block maps from the batch's page through the next whole block, and the next window starts on a block")
  func afterSeek() {
    let sizes = [Int64](repeating: 100_000, count: 200)
    for from in [13, 20, 40] {  // 1.3 MB, 2.0 MB (past the slack), 4.0 MB (just past a block, within the slack)
      let at = Int64(from) * 100_000
      let (windows, fileSize) = Self.windows(batchSizes: sizes, from: from)
      let first = windows[0]
      let block = at - at % Self.block
      #expect(first.start == (at - block <= Self.slack ? block : at / Self.page * Self.page))
      #expect(first.end - at >= Self.block / 2, "at least 1 MiB of batches from the first")
      #expect(first.end - first.start <= 2 * Self.block + Self.slack)
      #expect(windows.dropFirst().allSatisfy { $0.start % Self.block == 0 })
      let firstWhole = (first.start + Self.block - 1) / Self.block * Self.block
      for start in stride(from: firstWhole, through: fileSize - Self.block, by: Int(Self.block)) {
        #expect(windows.contains { $0.start <= start && start + Self.block <= $0.end }, "block at \(start) from \(at)")
      }
    }
  }

  @Test("a batch larger than the slack that crosses a block's end: its window reaches past it, and reading goes on")
  func largeBatches() {
    var random = SeededGenerator(seed: 5)
    let sizes = (0..<400).map { index in
      index % 7 == 3 ? Int64.random(in: 300_000...3_000_000, using: &random) : Int64.random(in: 61...100_000, using: &random)
    }
    let (windows, fileSize) = Self.windows(batchSizes: sizes)
    #expect(windows.last?.end == fileSize)
    for (earlier, later) in zip(windows, windows.dropFirst()) {
      #expect(later.end > earlier.end, "each window reaches further than the last")
    }
  }

  @Test("a position near the largest file size the type allows: the window ends at the file's end, and nothing overflows")
  func farEnd() {
    for fileSize in [Int64.max, Int64.max - 5, Int64.max - Self.block - 3] {
      for position in [fileSize, fileSize - 1, fileSize - 70_000, fileSize - Self.block - 1] {
        let window = SegmentBatchReader.windowBounds(at: position, fileSize: fileSize)
        #expect(window.start <= position && position <= window.end && window.end <= fileSize)
      }
    }
  }
}
