/// The encoding side of zstd's Huffman literals: code lengths of at most 11 bits, the tree
/// description, and streams written last symbol first.
extension ZstdHuffman {
  struct EncodingTable {
    /// Per byte value: its code and code length (0: the byte does not occur).
    var codes: [UInt16]
    var lengths: [UInt8]
    var maximumBits: Int
    /// The highest byte value that occurs: its weight is implied, not written.
    var lastSymbol: Int

    /// The optimal code for `histogram` (256 counts) with no code longer than 11 bits
    /// (package-merge); nil when fewer than two byte values occur.
    init?(histogram: UnsafePointer<Int>) {
      var symbols: [Int] = []
      for symbol in 0..<256 where histogram[symbol] > 0 { symbols.append(symbol) }
      guard symbols.count >= 2 else { return nil }
      symbols.sort { (histogram[$0], $0) < (histogram[$1], $1) }
      let weights = symbols.map { histogram[$0] }
      var lengths = Self.huffmanLengths(weights)
      if lengths.contains(where: { $0 > maximumBitsLimit }) {
        lengths = Self.limitedLengths(weights, limit: maximumBitsLimit)
      }
      var codeLengths = [UInt8](repeating: 0, count: 256)
      var maximumBits = 0
      for (rank, symbol) in symbols.enumerated() {
        codeLengths[symbol] = UInt8(lengths[rank])
        maximumBits = max(maximumBits, lengths[rank])
      }
      // Canonical codes as the decoder's table lays them out: by weight (longest codes
      // first), then by byte value; a code is its first cell >> (weight - 1).
      var countPerWeight = [Int](repeating: 0, count: maximumBitsLimit + 2)
      for symbol in symbols { countPerWeight[maximumBits + 1 - Int(codeLengths[symbol])] += 1 }
      var start = [Int](repeating: 0, count: maximumBitsLimit + 2)
      var next = 0
      for weight in 1...maximumBits {
        start[weight] = next
        next += countPerWeight[weight] << (weight - 1)
      }
      var codes = [UInt16](repeating: 0, count: 256)
      for symbol in 0..<256 where codeLengths[symbol] > 0 {
        let weight = maximumBits + 1 - Int(codeLengths[symbol])
        codes[symbol] = UInt16(start[weight] >> (weight - 1))
        start[weight] += 1 << (weight - 1)
      }
      self.codes = codes
      self.lengths = codeLengths
      self.maximumBits = maximumBits
      self.lastSymbol = symbols.max() ?? 0
    }

    /// Huffman's code lengths for `weights` (ascending, at least two), in linear time: leaves
    /// and merged nodes each form a queue already in order, so the two lightest are at their
    /// fronts.
    static func huffmanLengths(_ weights: [Int]) -> [Int] {
      let count = weights.count
      var parent = [Int](repeating: 0, count: 2 * count - 1)
      var merged = [Int](repeating: 0, count: count - 1)
      var leaf = 0
      var next = 0
      for node in 0..<(count - 1) {
        var total = 0
        for _ in 0..<2 {
          if leaf < count, next >= node || weights[leaf] <= merged[next] {
            parent[leaf] = count + node
            total += weights[leaf]
            leaf += 1
          } else {
            parent[count + next] = count + node
            total += merged[next]
            next += 1
          }
        }
        merged[node] = total
      }
      var depth = [Int](repeating: 0, count: 2 * count - 1)
      for node in stride(from: 2 * count - 3, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
      return Array(depth.prefix(count))
    }

    /// Package-merge: code lengths for `weights` (ascending) with none above `limit`.
    static func limitedLengths(_ weights: [Int], limit: Int) -> [Int] {
      let count = weights.count
      var nodeWeight = weights
      var children: [(Int, Int)] = Array(repeating: (-1, -1), count: count)
      let leaves = Array(0..<count)
      var list = leaves
      for _ in 1..<limit {
        var packages: [Int] = []
        var index = 0
        while index + 1 < list.count {
          nodeWeight.append(nodeWeight[list[index]] + nodeWeight[list[index + 1]])
          children.append((list[index], list[index + 1]))
          packages.append(nodeWeight.count - 1)
          index += 2
        }
        var merged: [Int] = []
        merged.reserveCapacity(count + packages.count)
        var leaf = 0
        var package = 0
        while leaf < count || package < packages.count {
          if package == packages.count || (leaf < count && nodeWeight[leaves[leaf]] <= nodeWeight[packages[package]]) {
            merged.append(leaves[leaf])
            leaf += 1
          } else {
            merged.append(packages[package])
            package += 1
          }
        }
        list = merged
      }
      var lengths = [Int](repeating: 0, count: count)
      var stack = Array(list.prefix(2 * count - 2))
      while let node = stack.popLast() {
        if node < count {
          lengths[node] += 1
        } else {
          stack.append(children[node].0)
          stack.append(children[node].1)
        }
      }
      return lengths
    }

    /// The weight of `symbol` as the tree description states it.
    func weight(_ symbol: Int) -> Int { lengths[symbol] == 0 ? 0 : maximumBits + 1 - Int(lengths[symbol]) }

    /// Writes the tree description; returns its size, or nil when it cannot be written (more
    /// than 128 weights that FSE does not compress below 128 bytes).
    func writeDescription(into output: UnsafeMutablePointer<UInt8>) -> Int? {
      let weightCount = lastSymbol  // the last symbol's weight is implied
      if weightCount > 128 {
        return writeCompressedWeights(weightCount, into: output)
      }
      output[0] = UInt8(127 + weightCount)
      for pair in 0..<((weightCount + 1) / 2) {
        let high = weight(2 * pair)
        let low = 2 * pair + 1 < weightCount ? weight(2 * pair + 1) : 0
        output[1 + pair] = UInt8(high << 4 | low)
      }
      return 1 + (weightCount + 1) / 2
    }

    /// Weights compressed with FSE (accuracy at most 6), two states in turn, as zstd writes
    /// them; nil when that is not smaller than 128 bytes or all weights are equal.
    func writeCompressedWeights(_ weightCount: Int, into output: UnsafeMutablePointer<UInt8>) -> Int? {
      var weights = [Int](repeating: 0, count: weightCount)
      var histogram = [Int](repeating: 0, count: maximumBitsLimit + 1)
      for symbol in 0..<weightCount {
        weights[symbol] = weight(symbol)
        histogram[weights[symbol]] += 1
      }
      guard histogram.filter({ $0 > 0 }).count >= 2 else { return nil }
      let maximumSymbol = histogram.lastIndex { $0 > 0 } ?? 0
      let accuracyLog = ZstdFSE.accuracyLog(total: weightCount, maximumSymbol: maximumSymbol, limit: 6)
      let distribution = ZstdFSE.normalize(
        Array(histogram.prefix(maximumSymbol + 1)), total: weightCount, accuracyLog: accuracyLog)
      // Room: 1 header byte, at most ~20 description bytes, 255 weights of at most 6 bits + 8.
      var scratch = [UInt8](repeating: 0, count: 512)
      let size = scratch.withUnsafeMutableBufferPointer { buffer -> Int in
        guard let base = buffer.baseAddress else { return 0 }
        let described = ZstdFSE.writeDistribution(distribution, into: base)
        let table = ZstdFSE.EncodingTable(distribution)
        var writer = BitWriter(base + described)
        var index = weightCount
        var state1: Int
        var state2: Int
        if weightCount & 1 == 1 {
          index -= 1
          state1 = table.initialState(weights[index])
          index -= 1
          state2 = table.initialState(weights[index])
          index -= 1
          table.encode(weights[index], state: &state1, into: &writer)
          writer.flush()
        } else {
          index -= 1
          state2 = table.initialState(weights[index])
          index -= 1
          state1 = table.initialState(weights[index])
        }
        while index > 0 {
          index -= 1
          table.encode(weights[index], state: &state2, into: &writer)
          index -= 1
          table.encode(weights[index], state: &state1, into: &writer)
          writer.flush()
        }
        table.finish(state: state2, into: &writer)
        table.finish(state: state1, into: &writer)
        return described + writer.close()
      }
      guard size < 128 else { return nil }
      output[0] = UInt8(size)
      for index in 0..<size { output[1 + index] = scratch[index] }
      return 1 + size
    }

    /// Writes `count` literals at `source` as one stream (last symbol first); returns its size.
    func encodeStream(
      _ source: UnsafePointer<UInt8>, count: Int, codes: UnsafePointer<UInt16>, lengths: UnsafePointer<UInt8>,
      into output: UnsafeMutablePointer<UInt8>
    ) -> Int {
      var writer = BitWriter(output)
      var index = count
      while index & 3 != 0 {
        index -= 1
        let symbol = Int(source[index])
        writer.add(UInt64(codes[symbol]), Int(lengths[symbol]))
      }
      writer.flush()
      while index > 0 {
        for _ in 0..<4 {  // 4 × 11 bits between flushes
          index -= 1
          let symbol = Int(source[index])
          writer.add(UInt64(codes[symbol]), Int(lengths[symbol]))
        }
        writer.flush()
      }
      return writer.close()
    }
  }
}
