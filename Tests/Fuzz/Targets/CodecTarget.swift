import KQCompression

/// One compression codec's decoder over arbitrary bytes. The first byte chooses the output
/// limit (odd: a small one, so the limit checks are met too); whatever decodes within the limit
/// is encoded again and must decode to the same bytes.
enum CodecTarget {
  static func run(_ input: UnsafeRawBufferPointer, codec: CompressionCodec) {
    guard let first = input.first else { return }
    let limit = first & 1 == 1 ? Int(first) * 8 : 1 << 20
    let stream = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    guard let decoded = try? codec.decompress(stream, limit: limit) else { return }
    if decoded.count > limit { wrongAnswer("\(decoded.count) bytes decoded past the limit \(limit)") }
    guard let encoded = try? codec.compress(decoded) else { return }
    guard let again = try? codec.decompress(encoded, limit: decoded.count), again == decoded else {
      wrongAnswer("\(codec): a round trip of \(decoded.count) decoded bytes changed them")
    }
  }
}
