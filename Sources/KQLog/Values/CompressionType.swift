import KQCompression

/// A topic's `compression.type`, Kafka's values verbatim: `producer` keeps the codec each
/// producer chose; any other value is the codec every batch of the topic is stored with
/// (a Kafka broker recompresses; kq's producer writes that codec directly).
package enum CompressionType: String, Sendable, CaseIterable {
  case producer, uncompressed, gzip, snappy, lz4, zstd

  /// The codec batches are stored with when a producer asks for `requested`.
  package func storedCodec(requested: CompressionCodec) -> CompressionCodec {
    switch self {
    case .producer: requested
    case .uncompressed: .none
    case .gzip: .gzip
    case .snappy: .snappy
    case .lz4: .lz4
    case .zstd: .zstd
    }
  }
}
