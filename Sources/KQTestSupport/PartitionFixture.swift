import Foundation
import KQCompression
import KQStorage
import KQLog

/// A data directory in a temporary folder holding one topic, with the ways storage tests
/// write, read and inspect its partitions.
package final class PartitionFixture {
  package let directory: TemporaryDirectory
  package let data: DataDirectory
  package let topic: TopicName
  package let config: TopicConfig
  package let clock: ManualClock

  package init(topic: String = "events", config: TopicConfig = TopicConfig(), clock: ManualClock = ManualClock()) throws
  {
    directory = try TemporaryDirectory()
    self.clock = clock
    data = try DataDirectory.open(at: directory.at("data"), create: true, clock: clock)
    self.topic = try TopicName(topic)
    self.config = config
    try data.createTopic(self.topic, config: config)
  }

  package func folder(_ partition: Int = 0) -> String { data.partitionFolder(topic, partition) }

  /// A new writer of the partition: a fresh `PartitionLog`, as a new process would open it.
  package func writer(
    partition: Int = 0, config: TopicConfig? = nil, fileSystem: FileSystem = FileSystem()
  ) throws -> PartitionLog {
    try PartitionLog(folder: folder(partition), config: config ?? self.config, fileSystem: fileSystem, clock: clock)
  }

  package func logPath(base: Int64, partition: Int = 0) -> String {
    FileNames.logFile(in: folder(partition), base: base)
  }
  package func indexPath(base: Int64, partition: Int = 0) -> String {
    FileNames.offsetIndexFile(in: folder(partition), base: base)
  }
  package func timeIndexPath(base: Int64, partition: Int = 0) -> String {
    FileNames.timeIndexFile(in: folder(partition), base: base)
  }

  /// The `.index` entries of a segment, decoded.
  package func offsetIndex(base: Int64, partition: Int = 0) throws -> [(offset: Int64, position: Int64)] {
    let bytes = try ByteSurgery.read(indexPath(base: base, partition: partition))
    return stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { at in
      (offset: base + Int64(Self.int32(bytes, at)), position: Int64(Self.int32(bytes, at + 4)))
    }
  }

  private static func int32(_ bytes: [UInt8], _ at: Int) -> Int32 {
    Int32(
      bitPattern: UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8
        | UInt32(bytes[at + 3]))
  }

  /// The bytes of each of a segment's three files: `.log`, `.index`, `.timeindex`.
  package func segmentFiles(base: Int64 = 0, partition: Int = 0) throws -> [[UInt8]] {
    try [logPath, indexPath, timeIndexPath].map { try ByteSurgery.read($0(base, partition)) }
  }

  package func segmentBases(partition: Int = 0) throws -> [Int64] {
    try SegmentFiles.bases(in: folder(partition), fileSystem: FileSystem())
  }

  /// Every record from `offset` on, read with a `PartitionReader` as consumers read.
  package func readAll(partition: Int = 0, from offset: Int64 = 0) throws -> [StoredRecord] {
    let reader = PartitionReader(folder: folder(partition), fileSystem: FileSystem())
    try reader.seek(to: offset)
    var result: [StoredRecord] = []
    while let batch = try reader.nextBatch() {
      result += try batch.records().filter { $0.offset >= offset }
    }
    return result
  }
}

/// Encoding records into batches and appending them, with the batch boundaries a test chooses.
package enum Batches {
  /// One batch per run of records, back to back (base offsets 0, as `BatchEncoder` leaves them),
  /// each compressed with `codec` where that makes it smaller.
  package static func encode(_ runs: [[Record]], codec: CompressionCodec = .none) -> [UInt8] {
    let encoder = BatchEncoder(maxBatchBytes: Int(Int32.max), capacity: 1024)
    encoder.codec = codec
    for run in runs {
      for record in run { encoder.append(record) }
      encoder.sealBatch()
    }
    return Array(encoder.finish())
  }

  /// Appends `runs` in one call, one batch per run.
  @discardableResult
  package static func append(_ runs: [[Record]], to log: PartitionLog, codec: CompressionCodec = .none) throws
    -> AppendedRecords
  {
    var bytes = encode(runs, codec: codec)
    return try bytes.withUnsafeMutableBytes { raw in try log.append(raw) }
  }

  /// Appends `records` in one call, split into batches as producers split them
  /// (`maxBatchBytes`: the topic's `max.message.bytes` and `segment.bytes`).
  @discardableResult
  package static func append(records: [Record], to log: PartitionLog, maxBatchBytes: Int) throws
    -> AppendedRecords
  {
    var bytes = BatchEncoder.encode(records, maxBatchBytes: maxBatchBytes)
    return try bytes.withUnsafeMutableBytes { raw in try log.append(raw) }
  }

  /// The batch headers of a `.log` file, with the byte position of each; stops at the first
  /// bytes that are not a whole batch.
  package static func scan(_ path: String) throws -> [(position: Int, header: BatchHeader)] {
    let bytes = try ByteSurgery.read(path)
    var result: [(position: Int, header: BatchHeader)] = []
    var position = 0
    bytes.withUnsafeBytes { raw in
      while position + BatchLayout.headerSize <= raw.count,
        let header = BatchHeader(at: raw.baseAddress! + position), position + header.size <= raw.count
      {
        result.append((position, header))
        position += header.size
      }
    }
    return result
  }
}
