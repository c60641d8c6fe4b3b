extension Snappy {
  /// A xerial stream: the header, then chunks, each a big-endian Int32 size and one raw snappy
  /// stream. A header may recur between chunks (snappy-java reads concatenated streams).
  /// The chunks' preambles give the exact output size, checked against `limit` before any
  /// decoding.
  static func decompressXerial(_ base: UnsafePointer<UInt8>, count: Int, limit: Int) throws(CompressionError) -> [UInt8] {
    var total = 0
    var position = 0
    while let chunk = try nextChunk(base, count: count, at: &position) {
      let (length, _) = try readPreamble(base, count: chunk.upperBound, at: chunk.lowerBound)
      total += length
      guard total <= limit else { throw .outputLimitExceeded(.snappy, limit: limit) }
    }
    return try makeBytes(capacity: total) { (output) throws(CompressionError) in
      var position = 0
      var op = output
      while let chunk = try nextChunk(base, count: count, at: &position) {
        let (length, preambleSize) = try readPreamble(base, count: chunk.upperBound, at: chunk.lowerBound)
        try decodeElements(base, from: chunk.lowerBound + preambleSize, to: chunk.upperBound, into: op, length: length)
        op += length
      }
      return op - output
    }
  }

  /// The byte range of the chunk at `position` (skipping headers), advancing past it; nil at
  /// the end of the input.
  static func nextChunk(_ base: UnsafePointer<UInt8>, count: Int, at position: inout Int) throws(CompressionError) -> Range<Int>? {
    while hasXerialMagic(base, count: count, at: position) { position += xerialHeaderSize }
    guard position < count else { return nil }
    guard count - position >= 4 else { throw .truncated(.snappy, position: position) }
    let size = Int(Int32(bitPattern: base.loadBE32(at: position)))
    guard size > 0 else { throw .malformed(.snappy, .badBlockSize, position: position) }
    guard size <= count - position - 4 else { throw .truncated(.snappy, position: position) }
    defer { position += 4 + size }
    return (position + 4)..<(position + 4 + size)
  }

  /// The xerial stream snappy-java's `SnappyOutputStream` writes: the header (version 1,
  /// compatible 1) and a chunk per 32 KiB of input; empty input is the header alone.
  static func compressXerial(_ input: UnsafeRawBufferPointer) -> [UInt8] {
    let count = input.count
    let source = input.bytePointer
    let chunks = (count + xerialChunkSize - 1) / xerialChunkSize
    let capacity = xerialHeaderSize + chunks * (4 + 5) + count + count / 6 + 32 * chunks + 64
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: maximumHashTableSize)
    defer { table.deallocate() }
    return makeEncodedBytes(capacity: capacity) { output in
      var op = output
      for (index, byte) in xerialMagic.enumerated() { op[index] = byte }
      op.storeBE32(xerialVersion, at: 8)
      op.storeBE32(xerialCompatibleVersion, at: 12)
      op += xerialHeaderSize
      var position = 0
      while position < count {
        let chunkSize = min(xerialChunkSize, count - position)
        let written = compressRaw(source + position, count: chunkSize, into: op + 4, table: table)
        op.storeBE32(UInt32(written))
        op += 4 + written
        position += chunkSize
      }
      return op - output
    }
  }
}
