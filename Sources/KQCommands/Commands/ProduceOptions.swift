import KQCompression
import KQLog

/// How `kq produce` reads and stores records; bound from flags by `ProduceCommand`.
package struct ProduceOptions {
  package enum Framing: Sendable { case lines, nulTerminated, json }
  package enum SyncMode: String, Sendable, CaseIterable { case exit, batch, none }

  package var topic: TopicName
  package var framing: Framing = .lines
  package var emptyAsNull = false
  package var keyDelimiter: [UInt8]?
  package var fixedKey: [UInt8]?
  package var headers: [Header] = []
  package var partition: Int?
  package var createIfMissing = false
  package var printOffsets = false
  package var sync: SyncMode = .exit
  package var timestamp: Int64?
  /// `--compression`: the codec this producer compresses batches with, unless the topic's
  /// `compression.type` names another (`CompressionType.storedCodec`).
  package var compression: CompressionCodec = .none

  package init(topic: TopicName) { self.topic = topic }

  /// `--compression` values, Kafka's producer names (`compression.type`), in help order.
  static let compressionNames = ["none", "gzip", "snappy", "lz4", "zstd"]
  static let compressionChoices: [String: CompressionCodec] = [
    "none": .none, "gzip": .gzip, "snappy": .snappy, "lz4": .lz4, "zstd": .zstd,
  ]
}

/// Input that stops a produce run, with how many records before it were stored.
package enum ProduceInputError: Error, Equatable {
  /// `size` is the record's batch size, or with `sizeIsLowerBound` how much of an unending line
  /// was read before kq gave up on it.
  case recordTooLarge(line: Int, size: Int, limit: Int64, stored: Int, topic: String, sizeIsLowerBound: Bool = false)
  case malformedJSON(line: Int, reason: String, stored: Int)
  case partitionOutOfRange(line: Int, partition: Int, partitions: Int, stored: Int, topic: String)
  /// A record without a key for a compacted topic (`cleanup.policy=compact`), as Kafka refuses it.
  case keyRequired(line: Int, stored: Int, topic: String)
}

/// A failure while storing, with how many records were stored before it.
package struct ProduceStorageFailure: Error {
  package var underlying: StorageError
  package var stored: Int
}
