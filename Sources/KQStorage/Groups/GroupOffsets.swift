import Glibc
import KQLog

/// Consumer groups' committed offsets (FORMAT.md, "Groups"): one small text file per group,
/// topic and partition, `groups/GROUP/TOPIC/N.offset`, holding the next offset to read. A
/// commit writes a temporary file, fsyncs it and renames it over the old one, so a crash
/// leaves the old or the new offset, never a mix.
extension DataDirectory {
  package func groupNames() throws(StorageError) -> [GroupName] {
    let entries: [String]
    do { entries = try fileSystem.listDirectory(names.groupsFolder) } catch {
      if error == .noSuchFile { return [] }
      throw .io(error, operation: "list", path: names.groupsFolder)
    }
    return entries.compactMap { try? GroupName($0) }.sorted()
  }

  /// The topics the group has offsets or leases for.
  package func topics(ofGroup group: GroupName) throws(StorageError) -> [TopicName] {
    let folder = names.groupFolder(group)
    let entries: [String]
    do { entries = try fileSystem.listDirectory(folder) } catch {
      if error == .noSuchFile { throw .groupNotFound(group.value) }
      throw .io(error, operation: "list", path: folder)
    }
    return entries.compactMap { try? TopicName($0) }.sorted()
  }

  /// Committed offsets by partition; partitions without a commit are absent.
  package func committedOffsets(group: GroupName, topic: TopicName) throws(StorageError) -> [Int: Int64] {
    let folder = names.groupTopicFolder(group, topic)
    let entries: [String]
    do { entries = try fileSystem.listDirectoryCompletely(folder) } catch {
      if error == .noSuchFile { return [:] }
      throw .io(error, operation: "list", path: folder)
    }
    var offsets: [Int: Int64] = [:]
    for entry in entries where entry.hasSuffix(".offset") {
      // Only names kq writes: a partition number in its plain decimal form, in range.
      let digits = entry.dropLast(7)
      guard let partition = Int(digits), partition >= 0, partition < TopicConfig.maxPartitions,
        String(partition) == digits
      else { continue }
      let path = names.groupOffset(group, topic, partition)
      let bytes: [UInt8]?
      do { bytes = try fileSystem.readSmallFile(path, limit: 64) } catch { throw .io(error, operation: "read", path: path) }
      guard let bytes else { continue }
      let text = String(decoding: bytes, as: UTF8.self)
      guard text.hasSuffix("\n"), let offset = Int64(text.dropLast()), offset >= 0 else {
        throw .corruptFile(file: path, reason: "expected an offset and a newline")
      }
      offsets[partition] = offset
    }
    return offsets
  }

  /// Makes `offset` the group's committed offset for the partition, durably. Under the shared
  /// topics lock, and only while the topic exists: a deletion removes the groups' offsets of
  /// the topic, and a commit of a consumer that read it must not bring them back.
  /// `confirming`, run under the lock before anything is written, may throw to refuse (a
  /// reader whose partition folder is no longer the one it opened).
  package func commit(
    group: GroupName, topic: TopicName, partition: Int, offset: Int64,
    confirming: () throws(StorageError) -> Void = {}
  ) throws(StorageError) {
    try withTopicsLock(exclusive: false) { () throws(StorageError) in
      guard fileSystem.exists(names.topicConfig(topic)) else { throw .topicDeleted(topic.value) }
      try confirming()
      try makeGroupFolders(group, topic)
      let path = names.groupOffset(group, topic, partition)
      do throws(Errno) {
        try fileSystem.replaceAtomically(
          path, with: Array((String(offset) + "\n").utf8), directory: names.groupTopicFolder(group, topic),
          temporaryPath: names.groupOffsetTemporary(group, topic, partition))
      } catch { throw .io(error, operation: "commit", path: path) }
    }
  }

  /// Takes the group's lease on a partition; nil when another live process holds it.
  package func lease(group: GroupName, topic: TopicName, partition: Int) throws(StorageError) -> PartitionLease? {
    try makeGroupFolders(group, topic)
    return try PartitionLease.acquire(
      path: names.groupLease(group, topic, partition), group: group, topic: topic, partition: partition,
      fileSystem: fileSystem)
  }

  /// The pid holding the group's lease on a partition, or nil.
  package func leaseHolder(group: GroupName, topic: TopicName, partition: Int) -> Int32? {
    PartitionLease.holder(path: names.groupLease(group, topic, partition), fileSystem: fileSystem)
  }

  /// Deletes a group and its offsets; refused while a consumer of it holds a lease.
  package func deleteGroup(_ group: GroupName) throws(StorageError) {
    for topic in try topics(ofGroup: group) {
      let config = try? self.config(of: topic)
      for partition in 0..<(config?.partitions ?? 0) {
        if let pid = leaseHolder(group: group, topic: topic, partition: partition) {
          throw .partitionLeased(
            group: group.value, topic: topic.value, partition: partition, holder: PartitionHolder.process(pid).description)
        }
      }
    }
    try removeTree(names.groupFolder(group))
    do { try fileSystem.syncDirectory(names.groupsFolder) } catch {
      throw .io(error, operation: "fsync", path: names.groupsFolder)
    }
  }

  func makeGroupFolders(_ group: GroupName, _ topic: TopicName) throws(StorageError) {
    var parent = path
    for folder in [names.groupsFolder, names.groupFolder(group), names.groupTopicFolder(group, topic)] {
      let created: Bool
      do {
        try fileSystem.makeDirectory(folder, mode: 0o700)
        created = true
      } catch {
        if error != .exists { throw .io(error, operation: "create directory", path: folder) }
        created = false
      }
      // A commit is durable only when the folders holding it are: their names too.
      if created {
        do { try fileSystem.syncDirectory(parent) } catch { throw .io(error, operation: "fsync", path: parent) }
      }
      parent = folder
    }
  }
}
