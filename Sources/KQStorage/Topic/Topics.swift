import Glibc

/// Creating, finding, changing and deleting topics in a data directory.
extension DataDirectory {
  /// Every topic, sorted by name.
  package func topicNames() throws(StorageError) -> [TopicName] {
    let entries: [String]
    do { entries = try fileSystem.listDirectory(names.topicsFolder) } catch {
      if error == .noSuchFile { return [] }
      throw .io(error, operation: "list", path: names.topicsFolder)
    }
    var result: [TopicName] = []
    for entry in entries {
      guard let name = try? TopicName(entry), fileSystem.exists(names.topicConfig(name)) else { continue }
      result.append(name)
    }
    return result.sorted()
  }

  /// The topic's configuration; `topicNotFound` when there is no such topic.
  package func config(of topic: TopicName) throws(StorageError) -> TopicConfig {
    let path = names.topicConfig(topic)
    let bytes: [UInt8]?
    do { bytes = try fileSystem.readSmallFile(path) } catch { throw .io(error, operation: "read", path: path) }
    guard let bytes else { throw .topicNotFound(topic.value) }
    return try TopicConfig(parsing: bytes, file: path)
  }

  package func createTopic(_ topic: TopicName, config: TopicConfig) throws(StorageError) {
    for existing in try topicNames() {
      if existing == topic { throw .topicAlreadyExists(topic.value) }
      if existing.collisionKey == topic.collisionKey { throw .topicNameCollision(topic.value, existing: existing.value) }
    }
    try makeFolder(names.topicsFolder)
    try makeFolder(names.topicFolder(topic))
    try createPartitionFolders(topic, range: 0..<config.partitions)
    try writeConfig(config, of: topic)
    do { try fileSystem.syncDirectory(names.topicsFolder) } catch {
      throw .io(error, operation: "fsync", path: names.topicsFolder)
    }
  }

  private func createPartitionFolders(_ topic: TopicName, range: Range<Int>) throws(StorageError) {
    for partition in range {
      let folder = names.partitionFolder(topic, partition)
      // A folder left by an interrupted create or delete holds nothing of a live topic.
      try removeTree(folder)
      try makeFolder(folder)
    }
    do { try fileSystem.syncDirectory(path) } catch { throw .io(error, operation: "fsync", path: path) }
  }

  private func makeFolder(_ folder: String) throws(StorageError) {
    do { try fileSystem.makeDirectory(folder, mode: 0o700) } catch {
      if error != .exists { throw .io(error, operation: "create directory", path: folder) }
    }
  }

  private func writeConfig(_ config: TopicConfig, of topic: TopicName) throws(StorageError) {
    let path = names.topicConfig(topic)
    do {
      try fileSystem.replaceAtomically(
        path, with: config.serialized, directory: names.topicFolder(topic), temporaryPath: names.topicConfigTemporary(topic))
    } catch { throw .io(error, operation: "write", path: path) }
  }

  /// Applies `settings` (Kafka keys, plain numbers) and returns the new configuration. The
  /// partition count may grow, never shrink.
  package func alterTopic(_ topic: TopicName, settings: [(key: String, value: String)]) throws(StorageError) -> TopicConfig {
    let old = try config(of: topic)
    var new = old
    for (key, value) in settings { try new.set(key, to: value) }
    if new.partitions < old.partitions {
      throw .invalidConfig(
        key: "partitions", value: String(new.partitions),
        reason: "a topic's partition count can only grow (it has \(old.partitions))")
    }
    if new.partitions > old.partitions { try createPartitionFolders(topic, range: old.partitions..<new.partitions) }
    try writeConfig(new, of: topic)
    return new
  }

  /// Deletes the topic: its configuration first (so it is gone at once), then its
  /// partitions and the groups' offsets for it.
  package func deleteTopic(_ topic: TopicName) throws(StorageError) {
    let config = try self.config(of: topic)
    let path = names.topicConfig(topic)
    do {
      try fileSystem.unlink(path)
      try fileSystem.syncDirectory(names.topicFolder(topic))
    } catch { throw .io(error, operation: "delete", path: path) }
    for partition in 0..<config.partitions { try removeTree(names.partitionFolder(topic, partition)) }
    try removeTree(names.topicFolder(topic))
    if let groups = try? fileSystem.listDirectory(names.groupsFolder) {
      for group in groups {
        guard let name = try? GroupName(group) else { continue }
        try removeTree(names.groupTopicFolder(name, topic))
      }
    }
    do { try fileSystem.syncDirectory(path == "" ? "." : self.path) } catch {
      throw .io(error, operation: "fsync", path: self.path)
    }
  }

  /// Removes a folder kq made and everything in it (only kq's own flat folders).
  package func removeTree(_ folder: String) throws(StorageError) {
    let entries: [String]
    do { entries = try fileSystem.listDirectory(folder) } catch {
      if error == .noSuchFile { return }
      throw .io(error, operation: "list", path: folder)
    }
    for entry in entries {
      let child = folder + "/" + entry
      do { try fileSystem.unlink(child) } catch {
        if error == Errno(EISDIR) || error == Errno(EPERM) {
          try removeTree(child)
        } else if error != .noSuchFile {
          throw .io(error, operation: "delete", path: child)
        }
      }
    }
    do { try fileSystem.removeDirectory(folder) } catch {
      if error != .noSuchFile { throw .io(error, operation: "delete", path: folder) }
    }
  }

  package func partitionFolder(_ topic: TopicName, _ partition: Int) -> String {
    names.partitionFolder(topic, partition)
  }
}
