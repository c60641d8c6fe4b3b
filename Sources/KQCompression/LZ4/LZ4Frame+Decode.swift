extension LZ4Frame {
  /// The content of every frame in `input`, one after another; at most `limit` bytes.
  static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
    let base = input.bytePointer
    let bound = try outputBound(base, count: input.count, limit: limit)
    let capacity = min(bound, limit)
    return try makeBytes(capacity: capacity) { (output) throws(CompressionError) in
      try decode(base, count: input.count, into: output, capacity: capacity, isCappedByLimit: bound > limit, limit: limit)
    }
  }

  /// Like `decompress(_:limit:)`, into memory that `allocate` hands out once, for at least the
  /// bytes the stream may decode to (at most `limit`); returns the bytes written there.
  static func decompress(
    _ input: UnsafeRawBufferPointer, limit: Int, into allocate: (Int) -> UnsafeMutablePointer<UInt8>
  ) throws(CompressionError) -> Int {
    let base = input.bytePointer
    let bound = try outputBound(base, count: input.count, limit: limit)
    let capacity = min(bound, limit)
    let output = allocate(capacity)
    return try decode(base, count: input.count, into: output, capacity: capacity, isCappedByLimit: bound > limit, limit: limit)
  }

  /// The most bytes `input` can decode to, from its block sizes: a stored block is its size,
  /// a compressed one at most the frame's block maximum (and 255 times its size). Checks every
  /// frame and block header fits in the input, so decoding allocates only for a whole stream.
  static func outputBound(_ base: UnsafePointer<UInt8>, count: Int, limit: Int) throws(CompressionError) -> Int {
    var position = 0
    var bound = 0
    var frames = 0
    while position < count {
      guard count - position >= 4 else { throw .truncated(.lz4, position: position) }
      let word = base.loadLE32(at: position)
      if word & skippableMagicMask == skippableMagic {
        position = try skippableFrameEnd(base, count: count, start: position)
        continue
      }
      guard word == magic else { throw .malformed(.lz4, .badMagic, position: position) }
      let descriptor = try Descriptor(base, count: count, start: position)
      frames += 1
      if let declared = descriptor.contentSize, declared > UInt64(limit) {
        throw .outputLimitExceeded(.lz4, limit: limit)
      }
      position += descriptor.headerSize
      while true {
        guard count - position >= 4 else { throw .truncated(.lz4, position: position) }
        let sizeWord = base.loadLE32(at: position)
        position += 4
        if sizeWord == 0 {
          if descriptor.hasContentChecksum {
            guard count - position >= 4 else { throw .truncated(.lz4, position: position) }
            position += 4
          }
          break
        }
        let size = Int(sizeWord & ~uncompressedBit)
        guard size <= descriptor.blockMaximumSize else {
          throw .malformed(.lz4, .badBlockSize, position: position - 4)
        }
        let stored = size + (descriptor.hasBlockChecksums ? 4 : 0)
        guard stored <= count - position else { throw .truncated(.lz4, position: position - 4) }
        let blockBound = sizeWord & uncompressedBit != 0 ? size : min(descriptor.blockMaximumSize, size * 255)
        bound = min(bound + blockBound, limit + 1)  // past the limit, the amount no longer matters
        position += stored
      }
    }
    guard frames > 0 else { throw .truncated(.lz4, position: position) }  // a stream is at least one frame
    return bound
  }

  static func skippableFrameEnd(_ base: UnsafePointer<UInt8>, count: Int, start: Int) throws(CompressionError) -> Int {
    guard count - start >= 8 else { throw .truncated(.lz4, position: start) }
    let size = Int(base.loadLE32(at: start + 4))
    guard size <= count - start - 8 else { throw .truncated(.lz4, position: start) }
    return start + 8 + size
  }

  /// Decodes the frames `outputBound` checked into `output`, which has `capacity` bytes.
  static func decode(
    _ base: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int,
    isCappedByLimit: Bool, limit: Int
  ) throws(CompressionError) -> Int {
    let outputEnd = output + capacity
    var op = output
    var position = 0
    while position < count {
      let word = base.loadLE32(at: position)
      if word & skippableMagicMask == skippableMagic {
        position = try skippableFrameEnd(base, count: count, start: position)
        continue
      }
      let descriptor = try Descriptor(base, count: count, start: position)
      position += descriptor.headerSize
      let frameStart = op
      while true {
        let sizeWord = base.loadLE32(at: position)
        position += 4
        if sizeWord == 0 { break }
        let size = Int(sizeWord & ~uncompressedBit)
        let block = base + position
        if descriptor.hasBlockChecksums {
          let stored = base.loadLE32(at: position + size)
          let computed = XXHash32.hash(block, count: size)
          guard stored == computed else {
            throw .checksumMismatch(.lz4, .lz4Block, stored: stored, computed: computed)
          }
        }
        let room = outputEnd - op
        let blockRoom = min(room, descriptor.blockMaximumSize)
        let isCappedByCapacity = room < descriptor.blockMaximumSize
        if sizeWord & uncompressedBit != 0 {
          guard size <= blockRoom else {
            throw isCappedByCapacity && isCappedByLimit
              ? .outputLimitExceeded(.lz4, limit: limit) : .malformed(.lz4, .blockTooLarge, position: position - 4)
          }
          op.copyBytes(from: block, count: size)
          op += size
        } else {
          do throws(LZ4Block.Failure) {
            op = try LZ4Block.decode(
              block, block + size, into: op, op + blockRoom,
              lowest: descriptor.hasIndependentBlocks ? op : frameStart)
          } catch {
            switch error {
            case .truncated(let offset): throw .truncated(.lz4, position: position + offset)
            case .badMatchOffset(let offset): throw .malformed(.lz4, .badMatchOffset, position: position + offset)
            case .outputFull:
              throw isCappedByCapacity && isCappedByLimit
                ? .outputLimitExceeded(.lz4, limit: limit) : .malformed(.lz4, .blockTooLarge, position: position - 4)
            }
          }
        }
        position += size + (descriptor.hasBlockChecksums ? 4 : 0)
      }
      let decoded = op - frameStart
      if descriptor.hasContentChecksum {
        let stored = base.loadLE32(at: position)
        let computed = XXHash32.hash(UnsafePointer(frameStart), count: decoded)
        guard stored == computed else {
          throw .checksumMismatch(.lz4, .lz4Content, stored: stored, computed: computed)
        }
        position += 4
      }
      if let declared = descriptor.contentSize, declared != UInt64(decoded) {
        throw .malformed(.lz4, .sizeMismatch(declared: Int(declared), decoded: decoded), position: position)
      }
    }
    return op - output
  }
}
