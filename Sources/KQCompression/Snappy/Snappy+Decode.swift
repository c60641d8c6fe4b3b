extension Snappy {
  /// Decodes the elements (literals and copies) in `from ..< to` into exactly `length` bytes at
  /// `output`; copies reach back no further than `output`.
  static func decodeElements(
    _ base: UnsafePointer<UInt8>, from start: Int, to end: Int, into output: UnsafeMutablePointer<UInt8>, length: Int
  ) throws(CompressionError) {
    var ip = base + start
    let inputEnd = base + end
    var op = output
    let outputEnd = output + length
    while ip < inputEnd {
      let element = ip
      let tag = ip.pointee
      ip += 1
      let offset: Int
      let count: Int
      switch tag & 3 {
      case 0:
        var literalCount = Int(tag >> 2) + 1
        if literalCount <= 16, inputEnd - ip >= 16, outputEnd - op >= 16 {
          op.copy16(from: ip)
        } else {
          if literalCount > 60 {
            let lengthBytes = literalCount - 60
            guard inputEnd - ip >= lengthBytes else { throw .truncated(.snappy, position: ip - base - 1) }
            var value = 0
            for index in 0..<lengthBytes { value |= Int(ip[index]) << (8 * index) }
            literalCount = value + 1
            ip += lengthBytes
          }
          guard literalCount <= inputEnd - ip else { throw .truncated(.snappy, position: ip - base) }
          guard literalCount <= outputEnd - op else {
            throw .malformed(
              .snappy, .sizeMismatch(declared: length, decoded: op - output + literalCount), position: element - base)
          }
          op.copyBytes(from: ip, count: literalCount)
        }
        ip += literalCount
        op += literalCount
        continue
      case 1:
        guard ip < inputEnd else { throw .truncated(.snappy, position: ip - base - 1) }
        count = 4 + Int((tag >> 2) & 7)
        offset = Int(tag >> 5) << 8 | Int(ip.pointee)
        ip += 1
      case 2:
        guard inputEnd - ip >= 2 else { throw .truncated(.snappy, position: ip - base - 1) }
        count = 1 + Int(tag >> 2)
        offset = Int(ip.loadLE16())
        ip += 2
      default:
        guard inputEnd - ip >= 4 else { throw .truncated(.snappy, position: ip - base - 1) }
        count = 1 + Int(tag >> 2)
        offset = Int(ip.loadLE32())
        ip += 4
      }
      guard offset != 0, offset <= op - output else { throw .malformed(.snappy, .badMatchOffset, position: element - base) }
      guard count <= outputEnd - op else {
        throw .malformed(.snappy, .sizeMismatch(declared: length, decoded: op - output + count), position: element - base)
      }
      op = op.copyMatch(offset: offset, count: count, end: outputEnd)
    }
    guard op == outputEnd else {
      throw .malformed(.snappy, .sizeMismatch(declared: length, decoded: op - output), position: end)
    }
  }
}
