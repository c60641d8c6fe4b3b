/// zstd's encoder: one frame with the content size (single segment up to 8 MiB, else an
/// 8 MiB window), no checksum (zstd's own defaults), 128 KiB blocks, each compressed (Huffman
/// literals, FSE-coded sequences) or, where that is not smaller, stored raw; a block of one
/// byte repeated is an RLE block.
final class ZstdEncoder {
  static let singleSegmentLimit = 8 << 20
  static let windowLog = 23

  let base: UnsafePointer<UInt8>
  let count: Int
  let finder: ZstdMatchFinder
  /// The block's sequences: literal length, match length, offset value (1–3 repeat, else
  /// offset + 3).
  let literalLengths: UnsafeMutablePointer<UInt32>
  let matchLengths: UnsafeMutablePointer<UInt32>
  let offsetValues: UnsafeMutablePointer<UInt32>
  var sequenceCount = 0
  let literals: UnsafeMutablePointer<UInt8>
  var literalCount = 0
  /// A compressed block's body, before it is known to be smaller than the block: room for
  /// 4 times the block (a sequence of at least 4 bytes takes at most 11) and the tables.
  let body: UnsafeMutablePointer<UInt8>
  /// The decoder's repeat offsets, as they will be after the sequences stored so far.
  var repeatOffsets = (1, 4, 8)


  /// Whether the frame is one segment (its content size is its window) or has an 8 MiB window.
  let isSingleSegment: Bool

  init(_ base: UnsafePointer<UInt8>, count: Int, singleSegmentLimit: Int = ZstdEncoder.singleSegmentLimit) {
    self.base = base
    self.count = count
    isSingleSegment = count <= singleSegmentLimit
    finder = ZstdMatchFinder(base, count: count, maximumDistance: isSingleSegment ? count : 1 << Self.windowLog)
    // Buffers for the largest block this input has, not always 128 KiB.
    let largestBlock = min(count, Zstd.maximumBlockSize)
    let sequences = largestBlock / ZstdMatchFinder.minimumMatch + 1
    literalLengths = .allocate(capacity: sequences)
    matchLengths = .allocate(capacity: sequences)
    offsetValues = .allocate(capacity: sequences)
    literals = .allocate(capacity: largestBlock + 32)
    body = .allocate(capacity: 4 * largestBlock + 4096)
  }

  deinit {
    literalLengths.deallocate()
    matchLengths.deallocate()
    offsetValues.deallocate()
    literals.deallocate()
    body.deallocate()
  }

  /// The most bytes a frame of `count` bytes takes: header, and each block raw at worst.
  static func bound(_ count: Int) -> Int { 18 + count + 3 * (count / Zstd.maximumBlockSize + 1) }

  /// Writes the frame into `output` (room for `bound(count)` bytes); returns its size.
  func encodeFrame(into output: UnsafeMutablePointer<UInt8>) -> Int {
    var op = output
    op.storeLE32(Zstd.magic)
    op += 4
    if isSingleSegment {
      // Single segment: the content size is the window; its field is 1, 2 (minus 256) or 4 bytes.
      if count < 256 {
        op[0] = 0x20
        op[1] = UInt8(count)
        op += 2
      } else if count < 65536 + 256 {
        op[0] = 0x60
        op.storeLE16(UInt16(count - 256), at: 1)
        op += 3
      } else {
        op[0] = 0xA0
        op.storeLE32(UInt32(count), at: 1)
        op += 5
      }
    } else {
      op[0] = 0xC0  // 8-byte content size, a window descriptor
      op[1] = UInt8((Self.windowLog - 10) << 3)
      op.storeLE64(UInt64(count), at: 2)
      op += 10
    }
    if count == 0 {
      writeBlockHeader(isLast: true, kind: .raw, size: 0, at: op)
      return op + 3 - output
    }
    var start = 0
    while start < count {
      let end = min(count, start + Zstd.maximumBlockSize)
      op += encodeBlock(start: start, end: end, isLast: end == count, into: op)
      start = end
    }
    return op - output
  }

  func writeBlockHeader(isLast: Bool, kind: Zstd.BlockHeader.Kind, size: Int, at op: UnsafeMutablePointer<UInt8>) {
    let value = (isLast ? 1 : 0) | kind.rawValue << 1 | size << 3
    op[0] = UInt8(truncatingIfNeeded: value)
    op[1] = UInt8(truncatingIfNeeded: value >> 8)
    op[2] = UInt8(truncatingIfNeeded: value >> 16)
  }

  /// Writes block `start ..< end`; returns its size with its header.
  func encodeBlock(start: Int, end: Int, isLast: Bool, into op: UnsafeMutablePointer<UInt8>) -> Int {
    let size = end - start
    let first = base[start]
    var isRun = true
    for index in (start + 1)..<end where base[index] != first {
      isRun = false
      break
    }
    if isRun, size > 1 {
      finder.insert(upTo: min(end, finder.hashLimit))
      writeBlockHeader(isLast: isLast, kind: .rle, size: size, at: op)
      op[3] = first
      return 4
    }
    let savedOffsets = repeatOffsets
    parse(start: start, end: end)
    let literalsSize = writeLiteralsSection(into: body)
    let written = literalsSize + writeSequencesSection(into: body + literalsSize)
    if written < size {
      writeBlockHeader(isLast: isLast, kind: .compressed, size: written, at: op)
      (op + 3).copyBytes(from: body, count: written)
      return 3 + written
    }
    repeatOffsets = savedOffsets  // a raw block leaves the decoder's repeat offsets alone
    writeBlockHeader(isLast: isLast, kind: .raw, size: size, at: op)
    (op + 3).copyBytes(from: base + start, count: size)
    return 3 + size
  }
}
