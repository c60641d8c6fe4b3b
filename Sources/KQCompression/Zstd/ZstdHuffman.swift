/// Huffman-coded literals (RFC 8878, 4.2): the tree description (weights, FSE-compressed or
/// 4 bits each) and a single-symbol decoding table of 2^maximumBits entries, each the symbol
/// and its code length, looked up with the next `maximumBits` bits of the stream.
enum ZstdHuffman {
  /// Code lengths are at most 11 bits.
  static let maximumBitsLimit = 11
  static let tableCapacity = 1 << maximumBitsLimit

  /// A decoding table: entry = symbol | bitCount << 8.
  struct Table {
    var entries: UnsafeMutablePointer<UInt16>
    var maximumBits: Int
  }

  /// Reads a tree description at `base ..< base + count` into `table`; returns its size in bytes.
  static func readTable(
    _ base: UnsafePointer<UInt8>, count: Int, into table: inout Table, scratch: UnsafeMutablePointer<ZstdFSE.Cell>,
    position: Int
  ) throws(CompressionError) -> Int {
    guard count >= 1 else { throw .truncated(.zstd, position: position) }
    let header = Int(base[0])
    var weights = [UInt8](repeating: 0, count: 256)
    var weightCount = 0
    let used: Int
    if header >= 128 {
      // Direct: header - 127 weights, 4 bits each, the first in the high nibble.
      weightCount = header - 127
      used = 1 + (weightCount + 1) / 2
      guard used <= count else { throw .truncated(.zstd, position: position) }
      for index in 0..<weightCount {
        let byte = base[1 + index / 2]
        weights[index] = index % 2 == 0 ? byte >> 4 : byte & 0x0F
      }
    } else {
      used = 1 + header
      guard used <= count else { throw .truncated(.zstd, position: position) }
      weightCount = try decodeWeights(base + 1, count: header, into: &weights, scratch: scratch, position: position + 1)
    }
    try buildTable(weights: weights, count: weightCount, into: &table, position: position)
    return used
  }

  /// FSE-compressed weights: a distribution of accuracy at most 6, then a backward bitstream
  /// read by two states in turn until it runs out.
  static func decodeWeights(
    _ base: UnsafePointer<UInt8>, count: Int, into weights: inout [UInt8], scratch: UnsafeMutablePointer<ZstdFSE.Cell>,
    position: Int
  ) throws(CompressionError) -> Int {
    guard count >= 1 else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    let (distribution, used) = try ZstdFSE.readDistribution(
      base, count: count, maximumSymbol: maximumBitsLimit + 1, maximumAccuracyLog: 6, position: position)
    try ZstdFSE.buildTable(distribution, into: scratch, position: position)
    guard var bits = BackwardBitReader(base + used, count: count - used) else {
      throw .malformed(.zstd, .badBitstream, position: position + used)
    }
    let accuracyLog = distribution.accuracyLog
    var states = (Int(bits.read(accuracyLog)), Int(bits.read(accuracyLog)))
    bits.reload()
    var produced = 0
    @inline(__always) func decode(_ state: inout Int) -> UInt8 {
      let cell = scratch[state]
      state = Int(cell.baseline) + Int(bits.read(Int(cell.bitCount)))
      return cell.symbol
    }
    while true {
      guard produced <= 253 else { throw .malformed(.zstd, .badEntropyTable, position: position) }
      weights[produced] = decode(&states.0)
      produced += 1
      if bits.reload() == .overflow {
        weights[produced] = scratch[states.1].symbol
        produced += 1
        break
      }
      weights[produced] = decode(&states.1)
      produced += 1
      if bits.reload() == .overflow {
        weights[produced] = scratch[states.0].symbol
        produced += 1
        break
      }
    }
    return produced
  }

  /// The table for `count` stated weights; the last symbol's weight is implied, the one that
  /// brings the sum of 2^(weight-1) to a power of two.
  static func buildTable(weights: [UInt8], count: Int, into table: inout Table, position: Int) throws(CompressionError) {
    guard count >= 1, count <= 255 else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    var total = 0
    var rankCount = [Int](repeating: 0, count: maximumBitsLimit + 2)
    for index in 0..<count {
      let weight = Int(weights[index])
      guard weight <= maximumBitsLimit else { throw .malformed(.zstd, .badEntropyTable, position: position) }
      rankCount[weight] += 1
      if weight > 0 { total += 1 << (weight - 1) }
    }
    guard total > 0 else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    let maximumBits = Int.bitWidth - total.leadingZeroBitCount  // highbit(total) + 1
    guard maximumBits <= maximumBitsLimit else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    let rest = (1 << maximumBits) - total
    guard rest > 0, rest & (rest - 1) == 0 else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    let lastWeight = rest.trailingZeroBitCount + 1
    rankCount[lastWeight] += 1
    let symbolCount = count + 1
    // Starting cell of each weight: weight 1 (the longest codes) first.
    var start = [Int](repeating: 0, count: maximumBitsLimit + 2)
    var next = 0
    for weight in 1...maximumBits {
      start[weight] = next
      next += rankCount[weight] << (weight - 1)
    }
    guard next == 1 << maximumBits else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    for symbol in 0..<symbolCount {
      let weight = symbol == count ? lastWeight : Int(weights[symbol])
      guard weight > 0 else { continue }
      let length = 1 << (weight - 1)
      let entry = UInt16(symbol) | UInt16(maximumBits + 1 - weight) << 8
      (table.entries + start[weight]).update(repeating: entry, count: length)
      start[weight] += length
    }
    table.maximumBits = maximumBits
  }
}
