/// The sequences section of a compressed block (RFC 8878, 3.1.1.3.2): how many, the three
/// tables' modes and descriptions, then one backward bitstream of codes and extra bits; each
/// sequence copies literals, then a match.
extension ZstdDecoder {
  func decodeSequences(
    _ base: UnsafePointer<UInt8>, start: Int, end: Int, literalCount: Int, into output: UnsafeMutablePointer<UInt8>,
    blockEnd: UnsafeMutablePointer<UInt8>, outputEnd: UnsafeMutablePointer<UInt8>,
    frameStart: UnsafeMutablePointer<UInt8>, blockStart: Int
  ) throws(CompressionError) -> UnsafeMutablePointer<UInt8> {
    guard end - start >= 1 else { throw .truncated(.zstd, position: start) }
    var position = start
    let first = Int(base[position])
    let count: Int
    if first < 128 {
      count = first
      position += 1
    } else if first < 255 {
      guard end - position >= 2 else { throw .truncated(.zstd, position: start) }
      count = ((first - 128) << 8) + Int(base[position + 1])
      position += 2
    } else {
      guard end - position >= 3 else { throw .truncated(.zstd, position: start) }
      count = Int(base[position + 1]) + (Int(base[position + 2]) << 8) + 0x7F00
      position += 3
    }
    if count == 0 {
      guard position == end else { throw .malformed(.zstd, .badSequence, position: position) }
      guard literalCount <= blockEnd - output else { throw .malformed(.zstd, .blockTooLarge, position: blockStart) }
      output.copyBytes(from: literalBuffer, count: literalCount)
      return output + literalCount
    }
    guard end - position >= 1 else { throw .truncated(.zstd, position: position) }
    let modes = base[position]
    guard modes & 3 == 0 else { throw .malformed(.zstd, .reservedBitSet, position: position) }
    position += 1
    position += try readTable(.literalLength, mode: Int(modes >> 6), base, start: position, end: end, into: &literalLengths)
    position += try readTable(.offset, mode: Int(modes >> 4) & 3, base, start: position, end: end, into: &offsets)
    position += try readTable(.matchLength, mode: Int(modes >> 2) & 3, base, start: position, end: end, into: &matchLengths)
    return try executeSequences(
      count, base, start: position, end: end, literalCount: literalCount, into: output, blockEnd: blockEnd,
      outputEnd: outputEnd, frameStart: frameStart, blockStart: blockStart)
  }

  /// Sets one field's table by `mode` (predefined, one symbol, described, or the previous
  /// block's); returns the bytes its description took.
  func readTable(
    _ field: SequenceField, mode: Int, _ base: UnsafePointer<UInt8>, start: Int, end: Int, into table: inout SequenceTable
  ) throws(CompressionError) -> Int {
    switch mode {
    case 0:
      try fill(&table, field, from: field.predefined, position: start)
      return 0
    case 1:
      guard end - start >= 1 else { throw .truncated(.zstd, position: start) }
      let symbol = Int(base[start])
      guard symbol <= field.maximumSymbol else { throw .malformed(.zstd, .badEntropyTable, position: start) }
      let meaning = field.meaning(of: symbol)
      table.cells[0] = SequenceCell(nextBaseline: 0, stateBits: 0, extraBits: meaning.extraBits, base: meaning.base)
      table.accuracyLog = 0
      table.isSet = true
      return 1
    case 2:
      let (distribution, used) = try ZstdFSE.readDistribution(
        base + start, count: end - start, maximumSymbol: field.maximumSymbol,
        maximumAccuracyLog: field.maximumAccuracyLog, position: start)
      try fill(&table, field, from: distribution, position: start)
      return used
    default:
      guard table.isSet else { throw .malformed(.zstd, .badEntropyTable, position: start) }
      return 0
    }
  }

  func fill(
    _ table: inout SequenceTable, _ field: SequenceField, from distribution: ZstdFSE.Distribution, position: Int
  ) throws(CompressionError) {
    try ZstdFSE.buildTable(distribution, into: fseScratch, position: position)
    for index in 0..<(1 << distribution.accuracyLog) {
      let cell = fseScratch[index]
      let meaning = field.meaning(of: Int(cell.symbol))
      table.cells[index] = SequenceCell(
        nextBaseline: cell.baseline, stateBits: cell.bitCount, extraBits: meaning.extraBits, base: meaning.base)
    }
    table.accuracyLog = distribution.accuracyLog
    table.isSet = true
  }

  /// Decodes and carries out `count` sequences from the bitstream `start ..< end`, then copies
  /// the literals left over. Each sequence: the three codes from the three states; the offset's,
  /// the match length's and the literal length's extra bits; the states' next values (not after
  /// the last); literals, then the match.
  func executeSequences(
    _ count: Int, _ base: UnsafePointer<UInt8>, start: Int, end: Int, literalCount: Int,
    into output: UnsafeMutablePointer<UInt8>, blockEnd: UnsafeMutablePointer<UInt8>,
    outputEnd: UnsafeMutablePointer<UInt8>, frameStart: UnsafeMutablePointer<UInt8>, blockStart: Int
  ) throws(CompressionError) -> UnsafeMutablePointer<UInt8> {
    guard var bits = BackwardBitReader(base + start, count: end - start) else {
      throw .malformed(.zstd, .badBitstream, position: start)
    }
    let literalLengthCells = literalLengths.cells
    let offsetCells = offsets.cells
    let matchLengthCells = matchLengths.cells
    var literalLengthState = Int(bits.read(literalLengths.accuracyLog))
    var offsetState = Int(bits.read(offsets.accuracyLog))
    var matchLengthState = Int(bits.read(matchLengths.accuracyLog))
    bits.reload()
    var (repeat0, repeat1, repeat2) = repeatOffsets
    var op = output
    var literal = UnsafePointer(literalBuffer)
    let literalEnd = literal + literalCount
    for index in 0..<count {
      let literalLengthCell = literalLengthCells[literalLengthState]
      let offsetCell = offsetCells[offsetState]
      let matchLengthCell = matchLengthCells[matchLengthState]

      let offsetCode = Int(offsetCell.extraBits)
      let offset: Int
      if offsetCode > 1 {
        offset = Int(offsetCell.base) + Int(bits.read(offsetCode)) - 3
        repeat2 = repeat1
        repeat1 = repeat0
        repeat0 = offset
      } else {
        // Offset values 1–3 name a repeat offset; with no literals, shifted by one.
        let which = (offsetCode == 0 ? 0 : 1 + Int(bits.read(1))) + (literalLengthCell.base == 0 ? 1 : 0)
        switch which {
        case 0:
          offset = repeat0
        case 1:
          offset = repeat1
          repeat1 = repeat0
          repeat0 = offset
        case 2:
          offset = repeat2
          repeat2 = repeat1
          repeat1 = repeat0
          repeat0 = offset
        default:
          offset = repeat0 - 1
          repeat2 = repeat1
          repeat1 = repeat0
          repeat0 = offset
        }
      }
      if bits.bitsConsumed > 32 { bits.reload() }
      let matchLength = Int(matchLengthCell.base) + Int(bits.read(Int(matchLengthCell.extraBits)))
      let literalLength = Int(literalLengthCell.base) + Int(bits.read(Int(literalLengthCell.extraBits)))
      if index + 1 < count {
        if bits.bitsConsumed > 38 { bits.reload() }
        literalLengthState = Int(literalLengthCell.nextBaseline) + Int(bits.read(Int(literalLengthCell.stateBits)))
        matchLengthState = Int(matchLengthCell.nextBaseline) + Int(bits.read(Int(matchLengthCell.stateBits)))
        offsetState = Int(offsetCell.nextBaseline) + Int(bits.read(Int(offsetCell.stateBits)))
        bits.reload()
      }

      guard literalLength <= literalEnd - literal else { throw .malformed(.zstd, .badSequence, position: blockStart) }
      guard literalLength + matchLength <= blockEnd - op else {
        throw .malformed(.zstd, .blockTooLarge, position: blockStart)
      }
      if outputEnd - op >= literalLength + 16 {
        op.copyWide(from: literal, count: literalLength)
      } else {
        op.copyBytes(from: literal, count: literalLength)
      }
      op += literalLength
      literal += literalLength
      guard offset > 0, offset <= op - frameStart else { throw .malformed(.zstd, .badMatchOffset, position: blockStart) }
      op = op.copyMatch(offset: offset, count: matchLength, end: outputEnd)
    }
    guard bits.reload() == .completed else { throw .malformed(.zstd, .badBitstream, position: start) }
    repeatOffsets = (repeat0, repeat1, repeat2)
    let rest = literalEnd - literal
    guard rest <= blockEnd - op else { throw .malformed(.zstd, .blockTooLarge, position: blockStart) }
    op.copyBytes(from: literal, count: rest)
    return op + rest
  }
}

extension UnsafeMutablePointer<UInt8> {
  /// Copies `count` bytes from `source` 16 bytes a step: reads and writes up to 15 bytes past
  /// both ends, so both need that much room.
  @inline(__always) func copyWide(from source: UnsafePointer<UInt8>, count: Int) {
    var target = self
    var from = source
    let end = self + count
    while target < end {
      target.copy16(from: from)
      target += 16
      from += 16
    }
  }
}
