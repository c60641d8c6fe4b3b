/// Finite State Entropy tables (RFC 8878, 4.1.1): how a symbol distribution is described, and
/// the decoding table built from it.
enum ZstdFSE {
  /// A normalized distribution: `counts[s]` is symbol s's share of 2^accuracyLog table cells,
  /// -1 for "less than one" (one cell at the table's top).
  struct Distribution {
    var accuracyLog: Int
    var counts: [Int16]
  }

  /// One cell of a decoding table: the symbol, and how to get the next state (`baseline` plus
  /// the next `bitCount` bits).
  struct Cell {
    var baseline: UInt16
    var symbol: UInt8
    var bitCount: UInt8
  }

  /// Reads a table description at `base ..< base + count` (RFC 8878, 4.1.1), of symbols up to
  /// `maximumSymbol` and accuracy at most `maximumAccuracyLog`; returns it and the bytes it
  /// took.
  static func readDistribution(
    _ base: UnsafePointer<UInt8>, count: Int, maximumSymbol: Int, maximumAccuracyLog: Int, position: Int
  ) throws(CompressionError) -> (Distribution, Int) {
    var bits = ForwardBitReader(base, count: count)
    let accuracyLog = Int(bits.read(4)) + 5
    guard accuracyLog <= maximumAccuracyLog else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    var counts: [Int16] = []
    counts.reserveCapacity(maximumSymbol + 1)
    var remaining = (1 << accuracyLog) + 1
    var threshold = 1 << accuracyLog
    var width = accuracyLog + 1
    while remaining > 1 {
      guard counts.count <= maximumSymbol else { throw .malformed(.zstd, .badEntropyTable, position: position) }
      let maximum = (2 * threshold - 1) - remaining
      var value = Int(bits.peek(width))
      if value & (threshold - 1) < maximum {
        value &= threshold - 1
        bits.skip(width - 1)
      } else {
        if value >= threshold { value -= maximum }
        bits.skip(width)
      }
      let probability = value - 1
      remaining -= abs(probability)
      counts.append(Int16(probability))
      if probability == 0 {
        // Zeros repeat: 2-bit flags, each adding 0–3 more, until one below 3.
        while true {
          let repeats = Int(bits.read(2))
          guard counts.count + repeats <= maximumSymbol + 1 else {
            throw .malformed(.zstd, .badEntropyTable, position: position)
          }
          counts.append(contentsOf: repeatElement(0, count: repeats))
          if repeats < 3 { break }
        }
      }
      while remaining < threshold && threshold > 1 {
        width -= 1
        threshold >>= 1
      }
    }
    guard remaining == 1 else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    guard bits.bytesUsed <= count else { throw .truncated(.zstd, position: position) }
    return (Distribution(accuracyLog: accuracyLog, counts: counts), bits.bytesUsed)
  }

  /// Fills `table` (2^accuracyLog cells) for `distribution` (RFC 8878, 4.1.1, "FSE table
  /// decoding"): "less than one" symbols at the top, the others spread by the step
  /// (size/2 + size/8 + 3), then each cell's next-state baseline and bit count.
  static func buildTable(
    _ distribution: Distribution, into table: UnsafeMutablePointer<Cell>, position: Int
  ) throws(CompressionError) {
    let accuracyLog = distribution.accuracyLog
    let size = 1 << accuracyLog
    let mask = size - 1
    var next = [Int](repeating: 0, count: distribution.counts.count)
    var highest = size - 1
    for (symbol, count) in distribution.counts.enumerated() {
      if count == -1 {
        table[highest].symbol = UInt8(truncatingIfNeeded: symbol)
        highest -= 1
        next[symbol] = 1
      } else {
        next[symbol] = Int(count)
      }
    }
    let step = (size >> 1) + (size >> 3) + 3
    var cell = 0
    for (symbol, count) in distribution.counts.enumerated() where count > 0 {
      for _ in 0..<Int(count) {
        table[cell].symbol = UInt8(truncatingIfNeeded: symbol)
        repeat { cell = (cell + step) & mask } while cell > highest
      }
    }
    guard cell == 0 else { throw .malformed(.zstd, .badEntropyTable, position: position) }
    for index in 0..<size {
      let symbol = Int(table[index].symbol)
      let state = next[symbol]
      next[symbol] += 1
      let bitCount = accuracyLog - (Int.bitWidth - 1 - state.leadingZeroBitCount)
      table[index].bitCount = UInt8(truncatingIfNeeded: bitCount)
      table[index].baseline = UInt16(truncatingIfNeeded: (state << bitCount) - size)
    }
  }
}
