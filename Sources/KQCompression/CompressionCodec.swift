/// The codec of a Kafka record batch: bits 0–2 of its attributes (`compression.type`).
///
/// `compress` writes what Kafka's Java producer writes for that codec; `decompress` reads what
/// any Kafka client has written, and refuses to produce more than `limit` bytes, so a batch
/// from a file or a peer cannot make kq allocate without bound (the caller derives the limit
/// from the batch's record count and `max.message.bytes`).
package enum CompressionCodec: Int, Sendable, CaseIterable, CustomStringConvertible {
  case none = 0
  case gzip = 1
  case snappy = 2
  case lz4 = 3
  case zstd = 4

  /// Limits above this (256 TiB) count as this, so sizes plus a limit never overflow.
  package static let largestLimit = 1 << 48

  /// Bits 0–2 of a batch's attributes, which name the codec.
  package static let attributesMask = 0b111

  /// The codec a batch's attributes name; throws `unknownCodec` for 5, 6 and 7.
  package init(attributes: Int16) throws(CompressionError) {
    let bits = Int(attributes) & Self.attributesMask
    guard let codec = CompressionCodec(rawValue: bits) else { throw .unknownCodec(bits) }
    self = codec
  }

  /// Kafka's name for the codec, as in `compression.type`.
  package var description: String {
    switch self {
    case .none: "none"
    case .gzip: "gzip"
    case .snappy: "snappy"
    case .lz4: "lz4"
    case .zstd: "zstd"
    }
  }

  /// `input` compressed as Kafka's producer does. Only gzip can fail: zlib may find no memory.
  package func compress(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
    switch self {
    case .none: Array(input)
    case .gzip: try Gzip.compress(input)
    case .snappy: Snappy.compressXerial(input)
    case .lz4: LZ4Frame.compress(input)
    case .zstd: Zstd.compress(input)
    }
  }

  /// The room `compress(_:into:)` needs for `count` input bytes.
  package static func encodingCapacity(_ count: Int) -> Int { LZ4Frame.encodingCapacity(count) }

  /// `input` compressed as `compress(_:)` does, written to `output`, which has room for
  /// `encodingCapacity(input.count)` bytes; returns the bytes written, or nil when the
  /// encoding is not smaller than `input` (the caller then stores `input` as it is). lz4 writes
  /// there directly; the other codecs encode into an array that is then copied.
  package func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer) throws(CompressionError) -> Int? {
    if self == .lz4 {
      let written = LZ4Frame.compress(input, into: output.assumingMemoryBound(to: UInt8.self))
      return written < input.count ? written : nil
    }
    let encoded = try compress(input)
    guard encoded.count < input.count else { return nil }
    encoded.withUnsafeBytes { bytes in
      if let base = bytes.baseAddress { output.copyMemory(from: base, byteCount: bytes.count) }
    }
    return encoded.count
  }

  package func compress(_ input: [UInt8]) throws(CompressionError) -> [UInt8] {
    try input.withBytes { (raw) throws(CompressionError) in try compress(raw) }
  }

  /// The bytes `input` encodes; throws when they would exceed `limit` bytes or the stream is
  /// malformed (the caller adds topic, partition and offset).
  package func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
    let limit = min(max(0, limit), Self.largestLimit)
    switch self {
    case .none:
      guard input.count <= limit else { throw .outputLimitExceeded(self, limit: limit) }
      return Array(input)
    case .gzip: return try Gzip.decompress(input, limit: limit)
    case .snappy: return try Snappy.decompressXerialOrRaw(input, limit: limit)
    case .lz4: return try LZ4Frame.decompress(input, limit: limit)
    case .zstd: return try Zstd.decompress(input, limit: limit)
    }
  }

  /// Like `decompress(_:limit:)`, into memory that `allocate` hands out once, for at least the
  /// bytes the stream decodes to (never more than `limit`); returns the bytes written there.
  /// lz4 decodes straight into it; the other codecs decode into an array that is then copied.
  package func decompress(
    _ input: UnsafeRawBufferPointer, limit: Int, into allocate: (Int) -> UnsafeMutablePointer<UInt8>
  ) throws(CompressionError) -> Int {
    if self == .lz4 { return try LZ4Frame.decompress(input, limit: min(max(0, limit), Self.largestLimit), into: allocate) }
    let bytes = try decompress(input, limit: limit)
    let output = allocate(bytes.count)
    bytes.withUnsafeBufferPointer { decoded in
      if let source = decoded.baseAddress { output.update(from: source, count: decoded.count) }
    }
    return bytes.count
  }

  package func decompress(_ input: [UInt8], limit: Int) throws(CompressionError) -> [UInt8] {
    try input.withBytes { (raw) throws(CompressionError) in try decompress(raw, limit: limit) }
  }
}
