extension ZstdHuffman {
  /// Decodes `count` literals from one stream at `base ..< base + size` into `output`; the
  /// stream must end exactly with the last one.
  static func decodeStream(
    _ base: UnsafePointer<UInt8>, size: Int, table: Table, into output: UnsafeMutablePointer<UInt8>, count: Int,
    position: Int
  ) throws(CompressionError) {
    guard var bits = BackwardBitReader(base, count: size) else {
      throw .malformed(.zstd, .badBitstream, position: position)
    }
    let entries = table.entries
    let maximumBits = table.maximumBits
    var op = output
    let end = output + count
    // Four symbols per refill: 4 × 11 bits fit the 57 a refill guarantees.
    while bits.hasFastReload, end - op >= 4 {
      for _ in 0..<4 {
        let entry = entries[Int(bits.peek(maximumBits))]
        op.pointee = UInt8(truncatingIfNeeded: entry)
        op += 1
        bits.skip(Int(entry >> 8))
      }
      bits.reload()
    }
    while op < end {
      if bits.reload() == .overflow { break }
      let entry = entries[Int(bits.peek(maximumBits))]
      op.pointee = UInt8(truncatingIfNeeded: entry)
      op += 1
      bits.skip(Int(entry >> 8))
    }
    guard bits.reload() == .completed else { throw .malformed(.zstd, .badBitstream, position: position) }
  }

  /// Decodes `count` literals from four streams (a 6-byte jump table of the first three
  /// streams' sizes, then the streams), each regenerating a quarter (rounded up; the last,
  /// the rest), interleaved so the four lookups overlap.
  static func decodeFourStreams(
    _ base: UnsafePointer<UInt8>, size: Int, table: Table, into output: UnsafeMutablePointer<UInt8>, count: Int,
    position: Int
  ) throws(CompressionError) {
    guard size >= 10 else { throw .malformed(.zstd, .badBitstream, position: position) }
    let sizes = (Int(base.loadLE16(at: 0)), Int(base.loadLE16(at: 2)), Int(base.loadLE16(at: 4)))
    let fourth = size - 6 - sizes.0 - sizes.1 - sizes.2
    guard fourth >= 1 else { throw .malformed(.zstd, .badBitstream, position: position) }
    let segment = (count + 3) / 4
    let lastSegment = count - 3 * segment
    guard lastSegment >= 0 else { throw .malformed(.zstd, .badBitstream, position: position) }
    let starts = (6, 6 + sizes.0, 6 + sizes.0 + sizes.1, 6 + sizes.0 + sizes.1 + sizes.2)
    guard
      var bits0 = BackwardBitReader(base + starts.0, count: sizes.0),
      var bits1 = BackwardBitReader(base + starts.1, count: sizes.1),
      var bits2 = BackwardBitReader(base + starts.2, count: sizes.2),
      var bits3 = BackwardBitReader(base + starts.3, count: fourth)
    else { throw .malformed(.zstd, .badBitstream, position: position) }
    let entries = table.entries
    let maximumBits = table.maximumBits
    var op0 = output
    var op1 = output + segment
    var op2 = output + 2 * segment
    var op3 = output + 3 * segment
    let end3 = output + count
    @inline(__always) func step(_ bits: inout BackwardBitReader, _ op: inout UnsafeMutablePointer<UInt8>) {
      let entry = entries[Int(bits.peek(maximumBits))]
      op.pointee = UInt8(truncatingIfNeeded: entry)
      op += 1
      bits.skip(Int(entry >> 8))
    }
    if lastSegment >= 4 {
      // The fourth segment is the shortest: while it has 4 symbols to go, so do the others.
      while bits0.hasFastReload, bits1.hasFastReload, bits2.hasFastReload, bits3.hasFastReload, end3 - op3 >= 4 {
        for _ in 0..<4 {
          step(&bits0, &op0)
          step(&bits1, &op1)
          step(&bits2, &op2)
          step(&bits3, &op3)
        }
        bits0.reload()
        bits1.reload()
        bits2.reload()
        bits3.reload()
      }
    }
    try finish(&bits0, table: table, from: op0, to: output + segment, position: position)
    try finish(&bits1, table: table, from: op1, to: output + 2 * segment, position: position)
    try finish(&bits2, table: table, from: op2, to: output + 3 * segment, position: position)
    try finish(&bits3, table: table, from: op3, to: end3, position: position)
  }

  /// Decodes the rest of one stream one symbol per refill, and checks it ends exactly.
  @inline(__always)
  static func finish(
    _ bits: inout BackwardBitReader, table: Table, from start: UnsafeMutablePointer<UInt8>,
    to end: UnsafeMutablePointer<UInt8>, position: Int
  ) throws(CompressionError) {
    var op = start
    while op < end {
      if bits.reload() == .overflow { break }
      let entry = table.entries[Int(bits.peek(table.maximumBits))]
      op.pointee = UInt8(truncatingIfNeeded: entry)
      op += 1
      bits.skip(Int(entry >> 8))
    }
    guard bits.reload() == .completed else { throw .malformed(.zstd, .badBitstream, position: position) }
  }
}
