extension ZstdEncoder {
  /// Literals below this many are stored raw: a Huffman table would not pay for itself.
  static let minimumHuffmanLiterals = 64

  /// Writes the block's literals section: Huffman-coded (one stream up to 1023 literals, else
  /// four) when that is smaller than raw, one byte repeated as RLE, else raw.
  func writeLiteralsSection(into output: UnsafeMutablePointer<UInt8>) -> Int {
    let count = literalCount
    if count == 0 {
      output[0] = 0
      return 1
    }
    var histogram = [Int](repeating: 0, count: 256)
    histogram.withUnsafeMutableBufferPointer { counts in
      for index in 0..<count { counts[Int(literals[index])] += 1 }
    }
    if histogram[Int(literals[0])] == count {
      let headerSize = writeRawOrRLEHeader(type: 1, count: count, into: output)
      output[headerSize] = literals[0]
      return headerSize + 1
    }
    if count >= Self.minimumHuffmanLiterals, let size = writeHuffmanLiterals(histogram: histogram, into: output) {
      return size
    }
    let headerSize = writeRawOrRLEHeader(type: 0, count: count, into: output)
    (output + headerSize).copyBytes(from: literals, count: count)
    return headerSize + count
  }

  /// A raw (type 0) or RLE (type 1) literals header: 5, 12 or 20 bits of size.
  func writeRawOrRLEHeader(type: Int, count: Int, into output: UnsafeMutablePointer<UInt8>) -> Int {
    if count < 32 {
      output[0] = UInt8(type | count << 3)
      return 1
    }
    if count < 4096 {
      output.storeLE16(UInt16(type | 0b0100 | count << 4))
      return 2
    }
    let value = type | 0b1100 | count << 4
    output[0] = UInt8(truncatingIfNeeded: value)
    output[1] = UInt8(truncatingIfNeeded: value >> 8)
    output[2] = UInt8(truncatingIfNeeded: value >> 16)
    return 3
  }

  /// Huffman-coded literals; nil when not smaller than raw.
  func writeHuffmanLiterals(histogram: [Int], into output: UnsafeMutablePointer<UInt8>) -> Int? {
    let count = literalCount
    let table = histogram.withUnsafeBufferPointer { counts in counts.baseAddress.flatMap { ZstdHuffman.EncodingTable(histogram: $0) } }
    guard let table else {
      return nil
    }
    var estimatedBits = 0
    for symbol in 0..<256 { estimatedBits += histogram[symbol] * Int(table.lengths[symbol]) }
    let rawSize = count + (count < 32 ? 1 : count < 4096 ? 2 : 3)
    guard estimatedBits / 8 + 16 < rawSize else { return nil }

    let isSingleStream = count <= 1023
    let headerSize = isSingleStream ? 3 : count <= 16383 ? 4 : 5
    guard let descriptionSize = table.writeDescription(into: output + headerSize) else { return nil }
    var position = headerSize + descriptionSize
    table.codes.withUnsafeBufferPointer { codes in
      table.lengths.withUnsafeBufferPointer { lengths in
        guard let codes = codes.baseAddress, let lengths = lengths.baseAddress else { return }
        if isSingleStream {
          position += table.encodeStream(literals, count: count, codes: codes, lengths: lengths, into: output + position)
          return
        }
        let jumpTable = output + position
        position += 6
        let segment = (count + 3) / 4
        for stream in 0..<4 {
          let streamCount = stream < 3 ? segment : count - 3 * segment
          let size = table.encodeStream(
            literals + stream * segment, count: streamCount, codes: codes, lengths: lengths, into: output + position)
          if stream < 3 { jumpTable.storeLE16(UInt16(truncatingIfNeeded: size), at: 2 * stream) }
          position += size
        }
      }
    }
    let compressedSize = position - headerSize
    guard position < rawSize else { return nil }
    let sizeFormat = isSingleStream ? 0 : headerSize == 4 ? 2 : 3
    let fieldBits = sizeFormat < 2 ? 10 : 4 * sizeFormat + 6
    let header = 2 | sizeFormat << 2 | count << 4 | compressedSize << (4 + fieldBits)
    for index in 0..<headerSize { output[index] = UInt8(truncatingIfNeeded: header >> (8 * index)) }
    return position
  }
}
