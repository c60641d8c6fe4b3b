import Glibc
import KQLog

/// `LogService` over a local data directory.
package final class LocalLogService: LogService, LogVerifying, LogCompacting {
  package let directory: DataDirectory

  package init(directory: DataDirectory) { self.directory = directory }

  package var location: String { directory.path }

  package func topicNames() throws(StorageError) -> [TopicName] { try directory.topicNames() }
  package func config(of topic: TopicName) throws(StorageError) -> TopicConfig { try directory.config(of: topic) }
  package func createTopic(_ topic: TopicName, config: TopicConfig) throws(StorageError) {
    try directory.createTopic(topic, config: config)
  }
  package func alterTopic(_ topic: TopicName, settings: [(key: String, value: String)]) throws(StorageError) -> TopicConfig {
    try directory.alterTopic(topic, settings: settings)
  }
  package func deleteTopic(_ topic: TopicName) throws(StorageError) { try directory.deleteTopic(topic) }

  package func groupNames() throws(StorageError) -> [GroupName] { try directory.groupNames() }
  package func topics(ofGroup group: GroupName) throws(StorageError) -> [TopicName] { try directory.topics(ofGroup: group) }
  package func committedOffsets(group: GroupName, topic: TopicName) throws(StorageError) -> [Int: Int64] {
    try directory.committedOffsets(group: group, topic: topic)
  }
  package func commit(group: GroupName, topic: TopicName, partition: Int, offset: Int64) throws(StorageError) {
    try directory.commit(group: group, topic: topic, partition: partition, offset: offset)
  }
  /// The reader's check under the same shared topics lock as the commit, which a deletion or
  /// creation takes exclusively.
  package func commit(
    group: GroupName, topic: TopicName, partition: Int, offset: Int64, readBy reader: any PartitionReading
  ) throws(StorageError) {
    try directory.commit(group: group, topic: topic, partition: partition, offset: offset) { () throws(StorageError) in
      try reader.confirmTopicExists()
    }
  }
  /// Takes the lease of each partition that no live process holds, in order. A lease ends the
  /// moment its process does (the kernel releases its lock, even after kill -9): there is no
  /// session to time out, and `sessionTimeout` changes nothing.
  package func join(group: GroupName, partitions: [InputPartition], sessionTimeout: Duration?) throws(StorageError)
    -> any GroupMembership
  {
    var leases: [PartitionLease] = []
    for input in partitions {
      if let lease = try directory.lease(group: group, topic: input.topic, partition: input.partition) {
        leases.append(lease)
      }
    }
    return LeaseMembership(group: group, leases: leases)
  }
  package func holder(of partition: InputPartition, group: GroupName) -> PartitionHolder? {
    directory.leaseHolder(group: group, topic: partition.topic, partition: partition.partition).map(PartitionHolder.process)
  }
  package func deleteGroup(_ group: GroupName) throws(StorageError) { try directory.deleteGroup(group) }

  package func openWriter(_ topic: TopicName, partition: Int, config: TopicConfig) throws(StorageError) -> any PartitionWriting {
    try checkPartition(topic, partition, config: config)
    do {
      return try PartitionLog(
        folder: directory.partitionFolder(topic, partition), config: config, fileSystem: directory.fileSystem,
        clock: directory.clock)
    } catch { throw missingFolderOr(error, topic, partition) }
  }

  package func compact(_ topic: TopicName, partition: Int) throws(StorageError) -> CompactionReport {
    let config = try directory.config(of: topic)
    try checkPartition(topic, partition, config: config)
    let log = try PartitionLog(
      folder: directory.partitionFolder(topic, partition), config: config, fileSystem: directory.fileSystem,
      clock: directory.clock)
    defer { log.close() }
    return try log.compact()
  }

  /// `MarkedOutput` counts the records of OUT's marked batches (FORMAT.md, "Pipes").
  package var exactlyOnceOutputMayBeCompacted: Bool { false }

  package func openExactlyOnceOutput(group: GroupName, topic: TopicName, config: TopicConfig) throws(StorageError)
    -> any ExactlyOnceOutput
  {
    MarkedOutput(directory: directory, group: group, topic: topic, config: config)
  }

  package func openReader(_ topic: TopicName, partition: Int) throws(StorageError) -> any PartitionReading {
    let config = try directory.config(of: topic)
    try checkPartition(topic, partition, config: config)
    if !directory.fileSystem.exists(directory.partitionFolder(topic, partition)) {
      throw missingFolderOr(.topicDeleted(topic.value), topic, partition)
    }
    return PartitionReader(
      folder: directory.partitionFolder(topic, partition), fileSystem: directory.fileSystem,
      maxMessageBytes: Int(config.maxMessageBytes))
  }

  /// Watches the readers' partition folders (inotify).
  package func waiter(for readers: [any PartitionReading]) throws(StorageError) -> any RecordWaiter {
    try FolderWatcher(folders: readers.compactMap { ($0 as? PartitionReader)?.folder })
  }

  package func offset(forTimestamp timestamp: Int64, topic: TopicName, partition: Int) throws(StorageError) -> Int64? {
    try IndexLookup.offset(
      forTimestamp: timestamp, folder: directory.partitionFolder(topic, partition), fileSystem: directory.fileSystem,
      maxMessageBytes: Int(try directory.config(of: topic).maxMessageBytes))
  }

  /// `error`, unless it says the topic was deleted while its configuration is still there and
  /// the partition's folder is not: then the folder was removed by something other than a
  /// deletion (which removes the configuration first), and that is what the user must hear.
  /// The folder is looked for again last: a deletion and creation meanwhile makes a new one.
  private func missingFolderOr(_ error: StorageError, _ topic: TopicName, _ partition: Int) -> StorageError {
    guard case .topicDeleted = error else { return error }
    let folder = directory.partitionFolder(topic, partition)
    let fileSystem = directory.fileSystem
    guard !fileSystem.exists(folder), fileSystem.exists(directory.names.topicConfig(topic)), !fileSystem.exists(folder) else {
      return error
    }
    return .partitionFolderMissing(topic: topic.value, partition: partition, path: folder)
  }

  private func checkPartition(_ topic: TopicName, _ partition: Int, config: TopicConfig?) throws(StorageError) {
    let count: Int
    if let config { count = config.partitions } else { count = try directory.config(of: topic).partitions }
    guard partition >= 0 && partition < count else {
      throw .partitionNotFound(topic: topic.value, partition: partition, partitionCount: count)
    }
  }

  package func compressionSurvey(of topic: TopicName, partition: Int) throws(StorageError) -> CompressionSurvey {
    let config = try directory.config(of: topic)
    try checkPartition(topic, partition, config: config)
    let folder = directory.partitionFolder(topic, partition)
    let bases: [Int64]
    do { bases = try SegmentFiles.bases(in: folder, fileSystem: directory.fileSystem) } catch {
      if case .io(let errno, _, _) = error, errno == .noSuchFile { throw missingFolderOr(.topicDeleted(topic.value), topic, partition) }
      throw error
    }
    return try CompressionSurvey.survey(
      folder: folder, bases: bases, maxMessageBytes: Int(config.maxMessageBytes), fileSystem: directory.fileSystem)
  }

  package func summary(of topic: TopicName, partition: Int) throws(StorageError) -> PartitionSummary {
    let folder = directory.partitionFolder(topic, partition)
    let fileSystem = directory.fileSystem
    let bases: [Int64]
    do { bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem) } catch {
      // The configuration was read, and the folder is gone: deleted meanwhile, or lost.
      if case .io(let errno, _, _) = error, errno == .noSuchFile { throw missingFolderOr(.topicDeleted(topic.value), topic, partition) }
      throw error
    }
    var summary = PartitionSummary(
      partition: partition, logStartOffset: 0, endOffset: 0, bytes: 0, segments: bases.count, firstTimestamp: nil,
      lastTimestamp: nil)
    guard let first = bases.first, let last = bases.last else { return summary }
    summary.logStartOffset = first
    for base in bases {
      summary.bytes += try SegmentFiles.logSize(folder: folder, base: base, fileSystem: fileSystem) ?? 0
    }
    let tail = try TailScan.scan(folder: folder, base: last, fileSystem: fileSystem)
    summary.endOffset = tail.nextOffset
    summary.lastTimestamp = tail.lastMaxTimestamp.flatMap { $0 >= 0 ? $0 : nil }  // -1: none
    if summary.lastTimestamp == nil, bases.count > 1 {
      summary.lastTimestamp = SegmentFiles.maxTimestamp(folder: folder, base: bases[bases.count - 2], fileSystem: fileSystem)
    }
    let maxBatchBytes = (try? directory.config(of: topic))?.maxBatchBytes ?? TopicConfig().maxBatchBytes
    summary.firstTimestamp = SegmentFiles.firstTimestamp(
      folder: folder, base: first, maxMessageBytes: maxBatchBytes, fileSystem: fileSystem)
    return summary
  }
}

extension LocalLogService {
  package func verify(topics: [TopicName]?, repair: Bool, progress: (VerifyProgress) -> Void) throws(StorageError)
    -> VerifyReport
  {
    try directory.verify(topics: topics, repair: repair, progress: progress)
  }
}

extension PartitionLog: PartitionWriting {
  /// fsync of the log, its indexes and its folder (`sync`).
  package func makeDurable() throws(StorageError) { try sync() }
}

extension PartitionReader: PartitionReading {
  package func confirmTopicExists() throws(StorageError) { try checkFolder() }
  package var decodesOnAThread: Bool { handsOutCompressedBatches && mayDecodeAhead }
  package var offersUncheckedBatches: Bool { true }
}

extension MappedRegion: BatchMemory {
  package var faultGeneration: Int { MappingFaults.current }
}
