import Glibc

/// The encoding side of FSE: normalizing a histogram, writing its description, and the
/// tANS state machine that writes symbols so `ZstdFSE`'s tables read them back.
extension ZstdFSE {
  /// How one symbol moves the encoder's state (zstd's FSE_symbolCompressionTransform).
  struct SymbolTransform {
    var deltaBitCount = 0
    var deltaFindState = 0
  }

  /// An encoding table for one distribution: states run from 2^accuracyLog to twice that.
  struct EncodingTable {
    var accuracyLog: Int
    var stateTable: [UInt16]
    var transforms: [SymbolTransform]

    init(_ distribution: Distribution) {
      let accuracyLog = distribution.accuracyLog
      let size = 1 << accuracyLog
      let mask = size - 1
      let counts = distribution.counts
      var symbolAt = [Int](repeating: 0, count: size)
      var cumulative = [Int](repeating: 0, count: counts.count + 1)
      var highest = size - 1
      for (symbol, count) in counts.enumerated() {
        if count == -1 {
          cumulative[symbol + 1] = cumulative[symbol] + 1
          symbolAt[highest] = symbol
          highest -= 1
        } else {
          cumulative[symbol + 1] = cumulative[symbol] + Int(count)
        }
      }
      let step = (size >> 1) + (size >> 3) + 3
      var cell = 0
      for (symbol, count) in counts.enumerated() where count > 0 {
        for _ in 0..<Int(count) {
          symbolAt[cell] = symbol
          repeat { cell = (cell + step) & mask } while cell > highest
        }
      }
      var stateTable = [UInt16](repeating: 0, count: size)
      var next = cumulative
      for index in 0..<size {
        let symbol = symbolAt[index]
        stateTable[next[symbol]] = UInt16(size + index)
        next[symbol] += 1
      }
      var transforms = [SymbolTransform](repeating: SymbolTransform(), count: counts.count)
      for (symbol, count) in counts.enumerated() {
        switch count {
        case 0:
          transforms[symbol].deltaBitCount = ((accuracyLog + 1) << 16) - size
        case -1, 1:
          transforms[symbol].deltaBitCount = (accuracyLog << 16) - size
          transforms[symbol].deltaFindState = cumulative[symbol] - 1
        default:
          let count = Int(count)
          let maximumBitsOut = accuracyLog - (Int.bitWidth - 1 - (count - 1).leadingZeroBitCount)
          transforms[symbol].deltaBitCount = (maximumBitsOut << 16) - (count << maximumBitsOut)
          transforms[symbol].deltaFindState = cumulative[symbol] - count
        }
      }
      self.accuracyLog = accuracyLog
      self.stateTable = stateTable
      self.transforms = transforms
    }

    /// The state that, read by the decoder, gives `symbol` (the last symbol written).
    @inline(__always) func initialState(_ symbol: Int) -> Int {
      let transform = transforms[symbol]
      let bitsOut = (transform.deltaBitCount + (1 << 15)) >> 16
      let value = (bitsOut << 16) - transform.deltaBitCount
      return Int(stateTable[(value >> bitsOut) + transform.deltaFindState])
    }

    /// Writes the bits that take the decoder from `symbol`'s state to `state`'s predecessor.
    @inline(__always) func encode(_ symbol: Int, state: inout Int, into writer: inout BitWriter) {
      let transform = transforms[symbol]
      let bitsOut = (state + transform.deltaBitCount) >> 16
      writer.add(UInt64(truncatingIfNeeded: state), bitsOut)
      state = Int(stateTable[(state >> bitsOut) + transform.deltaFindState])
    }

    /// Writes the final state, which the decoder reads first.
    @inline(__always) func finish(state: Int, into writer: inout BitWriter) {
      writer.add(UInt64(truncatingIfNeeded: state), accuracyLog)
    }
  }

  /// zstd's choice of accuracy for `total` symbols up to `maximumSymbol` (FSE_optimalTableLog).
  static func accuracyLog(total: Int, maximumSymbol: Int, limit: Int) -> Int {
    let sourceBits = (Int.bitWidth - 1 - (total - 1).leadingZeroBitCount) - 2
    let minimum = min(
      Int.bitWidth - total.leadingZeroBitCount, (Int.bitWidth - 1 - max(maximumSymbol, 1).leadingZeroBitCount) + 2)
    return min(max(min(limit, sourceBits), minimum, 5), limit)
  }

  /// Counts summing to 2^accuracyLog in proportion to `histogram` (which sums to `total`);
  /// every symbol that occurs gets at least 1.
  static func normalize(_ histogram: [Int], total: Int, accuracyLog: Int) -> Distribution {
    let size = 1 << accuracyLog
    var counts = [Int16](repeating: 0, count: histogram.count)
    var assigned = 0
    for (symbol, count) in histogram.enumerated() where count > 0 {
      let share = max(1, (count * size + total / 2) / total)
      counts[symbol] = Int16(share)
      assigned += share
    }
    var excess = assigned - size
    while excess != 0 {
      var largest = 0
      for symbol in counts.indices where counts[symbol] > counts[largest] { largest = symbol }
      if excess < 0 {
        counts[largest] += Int16(-excess)
        excess = 0
      } else {
        counts[largest] -= 1
        excess -= 1
      }
    }
    return Distribution(accuracyLog: accuracyLog, counts: counts)
  }

  /// The bits `histogram` costs coded with `distribution`, in 1/256 bits; nil when a symbol
  /// that occurs has no cell.
  static func cost(of histogram: [Int], under distribution: Distribution) -> Int? {
    var total = 0
    for (symbol, count) in histogram.enumerated() where count > 0 {
      guard symbol < distribution.counts.count, distribution.counts[symbol] != 0 else { return nil }
      let cells = max(1, Int(distribution.counts[symbol]))
      total += count * (distribution.accuracyLog * 256 - log2Fixed[cells])
    }
    return total
  }

  /// log2(n) in 1/256 bits, for n up to 512.
  static let log2Fixed: [Int] = (0...512).map { $0 == 0 ? 0 : Int((log2(Double($0)) * 256).rounded()) }

  /// Writes `distribution`'s description (the inverse of `readDistribution`); returns its size.
  static func writeDistribution(_ distribution: Distribution, into output: UnsafeMutablePointer<UInt8>) -> Int {
    let accuracyLog = distribution.accuracyLog
    let counts = distribution.counts
    var op = output
    var bits = UInt64(accuracyLog - 5)
    var bitCount = 4
    var remaining = (1 << accuracyLog) + 1
    var threshold = 1 << accuracyLog
    var width = accuracyLog + 1
    var symbol = 0
    var previousIsZero = false
    func flush16() {
      op[0] = UInt8(truncatingIfNeeded: bits)
      op[1] = UInt8(truncatingIfNeeded: bits >> 8)
      op += 2
      bits >>= 16
    }
    while symbol < counts.count, remaining > 1 {
      if previousIsZero {
        var start = symbol
        while symbol < counts.count, counts[symbol] == 0 { symbol += 1 }
        while symbol >= start + 24 {
          start += 24
          bits |= UInt64(0xFFFF) << UInt64(bitCount)
          flush16()
        }
        while symbol >= start + 3 {
          start += 3
          bits |= UInt64(3) << UInt64(bitCount)
          bitCount += 2
        }
        bits |= UInt64(symbol - start) << UInt64(bitCount)
        bitCount += 2
        if bitCount > 16 {
          flush16()
          bitCount -= 16
        }
      }
      var value = Int(counts[symbol])
      symbol += 1
      let maximum = (2 * threshold - 1) - remaining
      remaining -= abs(value)
      value += 1
      if value >= threshold { value += maximum }
      bits |= UInt64(value) << UInt64(bitCount)
      bitCount += width - (value < maximum ? 1 : 0)
      previousIsZero = value == 1
      while remaining < threshold {
        width -= 1
        threshold >>= 1
      }
      if bitCount > 16 {
        flush16()
        bitCount -= 16
      }
    }
    while bitCount > 0 {
      op.pointee = UInt8(truncatingIfNeeded: bits)
      op += 1
      bits >>= 8
      bitCount -= 8
    }
    return op - output
  }
}
