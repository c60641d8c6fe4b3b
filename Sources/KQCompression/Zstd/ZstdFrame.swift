/// zstd frames (RFC 8878, 3.1): the header, the blocks, the optional checksum.
extension Zstd {
  struct FrameHeader {
    /// Frame_Content_Size, when the header has it.
    var contentSize: UInt64?
    var hasChecksum: Bool
    /// Block_Maximum_Size: the window size, at most 128 KiB.
    var blockMaximumSize: Int
    /// Bytes from the magic number to the first block.
    var size: Int

    /// Reads the header of the frame at `start` (its magic already checked).
    init(_ base: UnsafePointer<UInt8>, count: Int, start: Int) throws(CompressionError) {
      var position = start + 4
      guard count - position >= 1 else { throw .truncated(.zstd, position: start) }
      let descriptor = Int(base[position])
      position += 1
      guard descriptor & 0x08 == 0 else { throw .malformed(.zstd, .reservedBitSet, position: position - 1) }
      let isSingleSegment = descriptor & 0x20 != 0
      hasChecksum = descriptor & 0x04 != 0
      let dictionaryIDSize = [0, 1, 2, 4][descriptor & 3]
      let contentSizeFlag = descriptor >> 6
      let contentSizeSize = contentSizeFlag == 0 ? (isSingleSegment ? 1 : 0) : 1 << contentSizeFlag
      let windowDescriptorSize = isSingleSegment ? 0 : 1
      guard count - position >= windowDescriptorSize + dictionaryIDSize + contentSizeSize else {
        throw .truncated(.zstd, position: start)
      }
      var windowSize = UInt64.max
      if !isSingleSegment {
        let windowDescriptor = base[position]
        let windowBase = UInt64(1) << (10 + UInt64(windowDescriptor >> 3))
        windowSize = windowBase + (windowBase / 8) * UInt64(windowDescriptor & 7)
        position += 1
      }
      var dictionaryID: UInt32 = 0
      for index in 0..<dictionaryIDSize { dictionaryID |= UInt32(base[position + index]) << (8 * UInt32(index)) }
      position += dictionaryIDSize
      // A dictionary ID of 0 means none.
      guard dictionaryID == 0 else { throw .unsupported(.zstd, .dictionary(id: dictionaryID)) }
      if contentSizeSize > 0 {
        var value: UInt64 = 0
        for index in 0..<contentSizeSize { value |= UInt64(base[position + index]) << (8 * UInt64(index)) }
        contentSize = contentSizeSize == 2 ? value + 256 : value
        position += contentSizeSize
      }
      if isSingleSegment, let contentSize { windowSize = contentSize }
      blockMaximumSize = Int(min(windowSize, UInt64(Zstd.maximumBlockSize)))
      size = position - start
    }
  }

  /// A block's 3-byte header: last-block flag, type, size.
  struct BlockHeader {
    enum Kind: Int {
      case raw = 0, rle = 1, compressed = 2, reserved = 3
    }
    var isLast: Bool
    var kind: Kind
    var size: Int

    init(_ base: UnsafePointer<UInt8>, at position: Int) {
      let value = Int(base[position]) | Int(base[position + 1]) << 8 | Int(base[position + 2]) << 16
      isLast = value & 1 != 0
      kind = Kind(rawValue: (value >> 1) & 3) ?? .reserved
      size = value >> 3
    }
  }

  static func skippableFrameEnd(_ base: UnsafePointer<UInt8>, count: Int, start: Int) throws(CompressionError) -> Int {
    guard count - start >= 8 else { throw .truncated(.zstd, position: start) }
    let size = Int(base.loadLE32(at: start + 4))
    guard size <= count - start - 8 else { throw .truncated(.zstd, position: start) }
    return start + 8 + size
  }

  /// The most bytes `input` can decode to: each frame's content size where its header states
  /// it, else its raw and RLE blocks' sizes and the block maximum for each compressed block.
  /// Checks every frame and block header fits in the input, so decoding allocates only for a
  /// whole stream.
  static func outputBound(_ base: UnsafePointer<UInt8>, count: Int, limit: Int) throws(CompressionError) -> Int {
    var position = 0
    var bound = 0
    var frames = 0
    while position < count {
      guard count - position >= 4 else { throw .truncated(.zstd, position: position) }
      let word = base.loadLE32(at: position)
      if word & skippableMagicMask == skippableMagic {
        position = try skippableFrameEnd(base, count: count, start: position)
        continue
      }
      guard word == magic else { throw .malformed(.zstd, .badMagic, position: position) }
      let header = try FrameHeader(base, count: count, start: position)
      frames += 1
      if let declared = header.contentSize, declared > UInt64(limit) { throw .outputLimitExceeded(.zstd, limit: limit) }
      position += header.size
      var blocksBound = 0
      while true {
        guard count - position >= 3 else { throw .truncated(.zstd, position: position) }
        let block = BlockHeader(base, at: position)
        let stored = block.kind == .rle ? 1 : block.size
        switch block.kind {
        case .reserved: throw .malformed(.zstd, .badBlockType, position: position)
        case .raw, .rle: blocksBound += block.size
        case .compressed: blocksBound += header.blockMaximumSize
        }
        guard block.size <= header.blockMaximumSize else { throw .malformed(.zstd, .badBlockSize, position: position) }
        guard stored <= count - position - 3 else { throw .truncated(.zstd, position: position) }
        position += 3 + stored
        if block.isLast { break }
      }
      if header.hasChecksum {
        guard count - position >= 4 else { throw .truncated(.zstd, position: position) }
        position += 4
      }
      let frameBound = header.contentSize.map { Int($0) } ?? blocksBound
      bound = min(bound + frameBound, limit + 1)  // past the limit, the amount no longer matters
    }
    guard frames > 0 else { throw .truncated(.zstd, position: position) }  // a stream is at least one frame
    return bound
  }

  /// Decodes the frames `outputBound` checked into `output`, which has `capacity` bytes.
  static func decode(
    _ base: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int,
    isCappedByLimit: Bool, limit: Int
  ) throws(CompressionError) -> Int {
    let outputEnd = output + capacity
    let decoder = ZstdDecoder(outputCapacity: capacity)
    var op = output
    var position = 0
    while position < count {
      let word = base.loadLE32(at: position)
      if word & skippableMagicMask == skippableMagic {
        position = try skippableFrameEnd(base, count: count, start: position)
        continue
      }
      let header = try FrameHeader(base, count: count, start: position)
      position += header.size
      decoder.startFrame()
      let frameStart = op
      // Where this frame must stop: its stated size if the output has room for it.
      var frameEnd = outputEnd
      var isCappedByContentSize = false
      if let declared = header.contentSize, declared <= UInt64(outputEnd - op) {
        frameEnd = op + Int(declared)
        isCappedByContentSize = true
      }
      while true {
        let block = BlockHeader(base, at: position)
        let blockStart = position + 3
        let room = frameEnd - op
        let blockEnd = op + min(room, header.blockMaximumSize)
        /// Why a block does not fit: its own maximum, the stated content size, or the limit.
        func overflow() -> CompressionError {
          if header.blockMaximumSize <= room { return .malformed(.zstd, .blockTooLarge, position: position) }
          if isCappedByContentSize, let declared = header.contentSize {
            return .malformed(.zstd, .sizeMismatch(declared: Int(declared), decoded: op - frameStart + room + 1), position: position)
          }
          return isCappedByLimit ? .outputLimitExceeded(.zstd, limit: limit) : .malformed(.zstd, .blockTooLarge, position: position)
        }
        switch block.kind {
        case .raw:
          guard block.size <= blockEnd - op else { throw overflow() }
          op.copyBytes(from: base + blockStart, count: block.size)
          op += block.size
          position = blockStart + block.size
        case .rle:
          guard block.size <= blockEnd - op else { throw overflow() }
          op.update(repeating: base[blockStart], count: block.size)
          op += block.size
          position = blockStart + 1
        default:
          do throws(CompressionError) {
            op = try decoder.decodeCompressedBlock(
              base, start: blockStart, end: blockStart + block.size, into: op, blockEnd: blockEnd, outputEnd: outputEnd,
              frameStart: frameStart)
          } catch {
            if case .malformed(.zstd, .blockTooLarge, _) = error { throw overflow() }
            throw error
          }
          position = blockStart + block.size
        }
        if block.isLast { break }
      }
      let decoded = op - frameStart
      if let declared = header.contentSize, declared != UInt64(decoded) {
        throw .malformed(.zstd, .sizeMismatch(declared: Int(clamping: declared), decoded: decoded), position: position)
      }
      if header.hasChecksum {
        let stored = base.loadLE32(at: position)
        let computed = UInt32(truncatingIfNeeded: XXHash64.hash(UnsafePointer(frameStart), count: decoded))
        guard stored == computed else { throw .checksumMismatch(.zstd, .zstdContent, stored: stored, computed: computed) }
        position += 4
      }
    }
    return op - output
  }
}
