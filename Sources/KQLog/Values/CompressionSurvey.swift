import Glibc
import KQCompression

/// How a partition's batches are compressed, for `describe`: the stored bytes of each codec
/// (from every batch header), and the compression ratio of its compressed batches, measured by
/// decoding the newest of them up to `sampleBytes` stored bytes, so that describing a large
/// partition reads a bounded amount.
package struct CompressionSurvey: Equatable, Sendable {
  /// Stored bytes of whole batches per codec; codecs without batches are left out.
  package var storedBytes: [CompressionCodec: Int64] = [:]
  /// Decoded bytes of the records sections over stored bytes of those sections, for the
  /// sampled compressed batches; nil when the partition holds none.
  package var compressionRatio: Double?
  /// Records held (the batch headers' recordCount summed): fewer than the offsets between log
  /// start and end once compaction removed some.
  package var records: Int64 = 0

  /// Compressed bytes decoded at most to measure the ratio (16 MiB).
  package static let sampleBytes = 16 << 20

  package init() {}
}
