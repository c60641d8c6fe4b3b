extension ZstdEncoder {
  /// The literal-length code of each length below 64 (above, 19 + its high bit).
  static let literalLengthCodes: [UInt8] = (0..<64).map { length in
    UInt8(ZstdSequenceCodes.literalLengthBaselines.lastIndex { $0 <= UInt32(length) } ?? 0)
  }
  /// The match-length code of each (length - 3) below 128 (above, 36 + its high bit).
  static let matchLengthCodes: [UInt8] = (0..<128).map { base in
    UInt8(ZstdSequenceCodes.matchLengthBaselines.lastIndex { $0 <= UInt32(base + 3) } ?? 0)
  }

  /// How one field's codes are coded in this block.
  enum TableChoice {
    case predefined(ZstdFSE.EncodingTable)
    case rle(symbol: Int)
    case described(ZstdFSE.Distribution, ZstdFSE.EncodingTable)

    var mode: Int {
      switch self {
      case .predefined: 0
      case .rle: 1
      case .described: 2
      }
    }

    var table: ZstdFSE.EncodingTable? {
      switch self {
      case .predefined(let table), .described(_, let table): table
      case .rle: nil
      }
    }
  }

  /// Writes the sequences section: the count, the three tables' modes and descriptions, then
  /// the bitstream, last sequence first (zstd's ZSTD_encodeSequences).
  func writeSequencesSection(into output: UnsafeMutablePointer<UInt8>) -> Int {
    let count = sequenceCount
    var op = output
    if count < 128 {
      op[0] = UInt8(count)
      op += 1
    } else if count < 0x7F00 {
      op[0] = UInt8(0x80 + (count >> 8))
      op[1] = UInt8(truncatingIfNeeded: count)
      op += 2
    } else {
      op[0] = 0xFF
      op.storeLE16(UInt16(count - 0x7F00), at: 1)
      op += 3
    }
    if count == 0 { return op - output }

    var literalLengthCodes = [UInt8](repeating: 0, count: count)
    var matchLengthCodes = [UInt8](repeating: 0, count: count)
    var offsetCodes = [UInt8](repeating: 0, count: count)
    var literalLengthHistogram = [Int](repeating: 0, count: ZstdSequenceCodes.maximumLiteralLengthCode + 1)
    var matchLengthHistogram = [Int](repeating: 0, count: ZstdSequenceCodes.maximumMatchLengthCode + 1)
    var offsetHistogram = [Int](repeating: 0, count: ZstdSequenceCodes.maximumOffsetCode + 1)
    for index in 0..<count {
      let literalLength = Int(literalLengths[index])
      let literalCode = literalLength < 64 ? Int(Self.literalLengthCodes[literalLength]) : Self.highBit(literalLength) + 19
      let matchBase = Int(matchLengths[index]) - 3
      let matchCode = matchBase < 128 ? Int(Self.matchLengthCodes[matchBase]) : Self.highBit(matchBase) + 36
      let offsetCode = Self.highBit(Int(offsetValues[index]))
      literalLengthCodes[index] = UInt8(literalCode)
      matchLengthCodes[index] = UInt8(matchCode)
      offsetCodes[index] = UInt8(offsetCode)
      literalLengthHistogram[literalCode] += 1
      matchLengthHistogram[matchCode] += 1
      offsetHistogram[offsetCode] += 1
    }
    let modesByte = op
    op += 1
    let literalLengthChoice = Self.choose(
      literalLengthHistogram, total: count, predefined: ZstdSequenceCodes.literalLengthDefault, limit: 9, into: &op)
    let offsetChoice = Self.choose(
      offsetHistogram, total: count, predefined: ZstdSequenceCodes.offsetDefault, limit: 8, into: &op)
    let matchLengthChoice = Self.choose(
      matchLengthHistogram, total: count, predefined: ZstdSequenceCodes.matchLengthDefault, limit: 9, into: &op)
    modesByte.pointee = UInt8(literalLengthChoice.mode << 6 | offsetChoice.mode << 4 | matchLengthChoice.mode << 2)

    let literalTable = literalLengthChoice.table
    let offsetTable = offsetChoice.table
    let matchTable = matchLengthChoice.table
    var writer = BitWriter(op)
    var literalState = 0
    var offsetState = 0
    var matchState = 0
    let baselines = (ZstdSequenceCodes.literalLengthBaselines, ZstdSequenceCodes.matchLengthBaselines)
    let extraBits = (ZstdSequenceCodes.literalLengthExtraBits, ZstdSequenceCodes.matchLengthExtraBits)
    func addExtraBits(_ index: Int) {
      let literalCode = Int(literalLengthCodes[index])
      let matchCode = Int(matchLengthCodes[index])
      let offsetCode = Int(offsetCodes[index])
      writer.add(UInt64(literalLengths[index] - baselines.0[literalCode]), Int(extraBits.0[literalCode]))
      writer.add(UInt64(matchLengths[index] - baselines.1[matchCode]), Int(extraBits.1[matchCode]))
      writer.add(UInt64(Int(offsetValues[index]) - (1 << offsetCode)), offsetCode)
      writer.flush()
    }
    let last = count - 1
    if let matchTable { matchState = matchTable.initialState(Int(matchLengthCodes[last])) }
    if let offsetTable { offsetState = offsetTable.initialState(Int(offsetCodes[last])) }
    if let literalTable { literalState = literalTable.initialState(Int(literalLengthCodes[last])) }
    addExtraBits(last)
    var index = last
    while index > 0 {
      index -= 1
      offsetTable?.encode(Int(offsetCodes[index]), state: &offsetState, into: &writer)
      matchTable?.encode(Int(matchLengthCodes[index]), state: &matchState, into: &writer)
      literalTable?.encode(Int(literalLengthCodes[index]), state: &literalState, into: &writer)
      writer.flush()
      addExtraBits(index)
    }
    matchTable?.finish(state: matchState, into: &writer)
    offsetTable?.finish(state: offsetState, into: &writer)
    literalTable?.finish(state: literalState, into: &writer)
    op += writer.close()
    return op - output
  }

  /// The cheapest way to code one field's histogram: one symbol (RLE), the predefined
  /// distribution, or a described one (its description written at `op`).
  static func choose(
    _ histogram: [Int], total: Int, predefined: ZstdFSE.Distribution, limit: Int,
    into op: inout UnsafeMutablePointer<UInt8>
  ) -> TableChoice {
    let maximumSymbol = histogram.lastIndex { $0 > 0 } ?? 0
    if histogram[maximumSymbol] == total, total > 1 || maximumSymbol >= predefined.counts.count {
      op.pointee = UInt8(maximumSymbol)
      op += 1
      return .rle(symbol: maximumSymbol)
    }
    let predefinedCost = ZstdFSE.cost(of: histogram, under: predefined)
    let used = Array(histogram.prefix(maximumSymbol + 1))
    let accuracyLog = ZstdFSE.accuracyLog(total: total, maximumSymbol: maximumSymbol, limit: limit)
    let distribution = ZstdFSE.normalize(used, total: total, accuracyLog: accuracyLog)
    // Written in place; left to be overwritten when the predefined table wins.
    let descriptionSize = ZstdFSE.writeDistribution(distribution, into: op)
    let describedCost = (ZstdFSE.cost(of: used, under: distribution) ?? Int.max / 2) + descriptionSize * 8 * 256
    if let predefinedCost, predefinedCost <= describedCost {
      return .predefined(ZstdFSE.EncodingTable(predefined))
    }
    op += descriptionSize
    return .described(distribution, ZstdFSE.EncodingTable(distribution))
  }
}
