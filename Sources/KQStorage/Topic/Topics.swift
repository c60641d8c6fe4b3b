import Glibc
import KQLog

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

  /// Creates the topic, atomically and once however many processes try at the same moment:
  /// under the exclusive topics lock, the partition folders first and the configuration last
  /// (FORMAT.md, "Files"). What an interrupted create or delete of the name left (partition
  /// folders, the groups' offsets) belongs to no live topic: it is removed first
  /// (`removeLeftovers`), never written into or read as the new topic's.
  package func createTopic(_ topic: TopicName, config: TopicConfig) throws(StorageError) {
    try config.checkCompactionLags()
    try makeFolder(names.topicsFolder)
    try withTopicsLock(exclusive: true) { () throws(StorageError) in
      if fileSystem.exists(names.topicConfig(topic)) { throw .topicAlreadyExists(topic.value) }
      for existing in try topicNames() where existing.collisionKey == topic.collisionKey && existing != topic {
        throw .topicNameCollision(topic.value, existing: existing.value)
      }
      try removeLeftovers(of: topic)
      try makeFolder(names.topicFolder(topic))
      try createPartitionFolders(topic, range: 0..<config.partitions)
      try writeConfig(config, of: topic)
      do throws(Errno) { try fileSystem.syncDirectory(names.topicsFolder) } catch {
        throw .io(error, operation: "fsync", path: names.topicsFolder)
      }
    }
  }

  /// Called under the exclusive topics lock, for partitions the configuration does not have yet.
  private func createPartitionFolders(_ topic: TopicName, range: Range<Int>) throws(StorageError) {
    for partition in range {
      let folder = names.partitionFolder(topic, partition)
      try retirePartitionFolder(topic, partition)
      try makeFolder(folder)
    }
    try syncDataDirectory()
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
  /// partition count may grow, never shrink. Under the exclusive topics lock, so that two
  /// alterations, or an alteration and a deletion, never interleave.
  package func alterTopic(_ topic: TopicName, settings: [(key: String, value: String)]) throws(StorageError) -> TopicConfig {
    try withTopicsLock(exclusive: true) { () throws(StorageError) -> TopicConfig in
      let old = try config(of: topic)
      var new = old
      for (key, value) in settings { try new.set(key, to: value) }
      try new.checkCompactionLags()
      if new.partitions < old.partitions {
        throw .invalidConfig(
          key: "partitions", value: String(new.partitions),
          reason: "a topic's partition count can only grow (it has \(old.partitions))")
      }
      if new.partitions > old.partitions { try createPartitionFolders(topic, range: old.partitions..<new.partitions) }
      try writeConfig(new, of: topic)
      return new
    }
  }

  /// Deletes the topic: its configuration first (so it is gone at once), then its partitions
  /// and the groups' offsets for it, under the exclusive topics lock. Each partition waits for
  /// an append in progress and moves out of its name before it is removed, so a writer still
  /// holding it finds it gone at its next append or sync and fails (`topicDeleted`): records
  /// are never appended to a deleted topic, nor to a new one of the same name, unnoticed.
  /// A deletion interrupted after the configuration went (kill -9, a power cut) is finished by
  /// the next deletion of the name, its next creation, or `kq verify --repair`; a deletion of
  /// a name without a configuration that finds such leftovers finishes it and succeeds.
  package func deleteTopic(_ topic: TopicName) throws(StorageError) {
    try withTopicsLock(exclusive: true) { () throws(StorageError) in
      let config: TopicConfig
      do throws(StorageError) { config = try self.config(of: topic) } catch {
        guard case .topicNotFound = error, try removeLeftovers(of: topic) else { throw error }
        return
      }
      let path = names.topicConfig(topic)
      do throws(Errno) {
        try fileSystem.unlink(path)
        try fileSystem.syncDirectory(names.topicFolder(topic))
      } catch { throw .io(error, operation: "delete", path: path) }
      for partition in 0..<config.partitions { try retirePartitionFolder(topic, partition) }
      try syncDataDirectory()
      try removeLeftovers(of: topic)
    }
  }

  /// fsync of the data directory: makes the partition folders' moves and creations durable.
  func syncDataDirectory() throws(StorageError) {
    do { try fileSystem.syncDirectory(path) } catch { throw .io(error, operation: "fsync", path: path) }
  }

  /// Removes what a topic without a configuration left, under the exclusive topics lock: every
  /// partition folder of its name (however many: a killed `topic create -p 5000` or `topic
  /// alter` may have made more than any configuration named), the groups' offsets, leases and
  /// pipe checkpoints for it (they would otherwise apply to a new topic of the name and skip
  /// its records), and its folder under `topics/`. Returns whether there was anything.
  @discardableResult
  func removeLeftovers(of topic: TopicName) throws(StorageError) -> Bool {
    var found = false
    for partition in try partitionFoldersOnDisk(topic) {
      try retirePartitionFolder(topic, partition)
      found = true
    }
    for group in try groupNames() {
      let folder = names.groupTopicFolder(group, topic)
      guard fileSystem.exists(folder) else { continue }
      found = true
      // No commit can come meanwhile (they take the lock shared, and need `config`), but a
      // consumer that read the topic before may take a lease there: a lease file alone
      // holds no offset, so a folder it keeps from being removed may stay.
      do throws(StorageError) { try removeTree(folder) } catch {
        guard case .io(let errno, _, _) = error, errno == .notEmpty else { throw error }
      }
    }
    if fileSystem.exists(names.topicFolder(topic)) {
      found = true
      try removeTree(names.topicFolder(topic))
    }
    if found { try syncDataDirectory() }
    return found
  }

  /// The partition numbers of the folders named `TOPIC-N` in the data directory, whatever
  /// the configuration says.
  func partitionFoldersOnDisk(_ topic: TopicName) throws(StorageError) -> [Int] {
    let entries: [String]
    do { entries = try fileSystem.listDirectoryCompletely(path) } catch {
      throw .io(error, operation: "list", path: path)
    }
    return entries.compactMap { entry -> Int? in
      guard let named = FileNames.partition(ofFolderName: entry), named.topic == topic.value else { return nil }
      return named.partition
    }.sorted()
  }

  /// Removes the partition's folder, if there is one, safely against its writers: takes the
  /// partition's append lock (waiting for an append in progress), moves the folder out of its
  /// name into `deleted/`, and removes it there. A writer that gets the lock afterwards finds
  /// that its lock file no longer has the partition's name (`PartitionLock.acquire`).
  /// Called under the exclusive topics lock, the only holder of `deleted/`. The move is made
  /// durable by the caller's one `syncDataDirectory` after every folder it retires (a sync per
  /// folder made a 10,000-partition deletion 10,002 fsyncs): a move that a crash undoes leaves a
  /// folder whose topic has no configuration, which creation, deletion and `kq verify --repair`
  /// remove as leftovers, or a folder past its topic's count, which verify reports.
  func retirePartitionFolder(_ topic: TopicName, _ partition: Int) throws(StorageError) {
    let folder = names.partitionFolder(topic, partition)
    let lockPath = FileNames.lockFile(in: folder)
    let fd: CInt
    do { fd = try fileSystem.open(lockPath, O_RDWR | O_CREAT, mode: 0o600) } catch {
      if error == .noSuchFile || error == .notDirectory { return }  // no folder there
      throw .io(error, operation: "open", path: lockPath)
    }
    defer { try? fileSystem.close(fd) }
    do { _ = try fileSystem.lock(fd, path: lockPath) } catch { throw .io(error, operation: "flock", path: lockPath) }
    let trash = names.deletedPartitionFolder(topic, partition)
    try makeFolder(names.deletedFolder)
    try removeTree(trash)  // left by an interrupted deletion
    do { try fileSystem.rename(folder, to: trash) } catch {
      throw .io(error, operation: "rename", path: folder)
    }
    try removeTree(trash)
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
