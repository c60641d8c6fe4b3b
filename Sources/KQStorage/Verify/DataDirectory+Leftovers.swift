import Glibc
import KQLog

/// What an interrupted `topic create`, `topic alter` or `topic delete` (kill -9, a power cut)
/// left behind: partition folders no configuration names, and groups' offsets and a
/// `topics/TOPIC` folder for a topic without a configuration. `kq verify` reports them as
/// problems; `--repair` removes them as a deletion would (FORMAT.md, "Verifying and repairing").
extension DataDirectory {
  /// Looks under the shared topics lock: creations, alterations and deletions hold it
  /// exclusively, so none is half done while it looks, and what it finds stays until it is done.
  func leftoverFindings() throws(StorageError) -> [VerifyFinding] {
    try withTopicsLock(exclusive: false) { () throws(StorageError) -> [VerifyFinding] in
      var findings: [VerifyFinding] = []
      var partitionCounts: [TopicName: Int?] = [:]
      func partitions(of topic: TopicName) -> Int? {
        if let known = partitionCounts[topic] { return known }
        let count = try? config(of: topic).partitions
        partitionCounts[topic] = count
        return count
      }
      let entries: [String]
      do throws(Errno) { entries = try fileSystem.listDirectoryCompletely(path) } catch {
        throw .io(error, operation: "list", path: path)
      }
      for entry in entries.sorted() {
        guard let named = FileNames.partition(ofFolderName: entry), let topic = try? TopicName(named.topic),
          isDirectory(path + "/" + entry)
        else { continue }
        let partition = named.partition
        // A damaged configuration is verify's own finding; its folders are not leftovers.
        if fileSystem.exists(names.topicConfig(topic)), partitions(of: topic).map({ partition < $0 }) ?? true { continue }
        findings.append(VerifyFinding(topic: topic.value, partition: partition, file: path + "/" + entry, position: nil, kind: .leftover))
      }
      for group in try groupNames() {
        for topic in (try? topics(ofGroup: group)) ?? [] where !fileSystem.exists(names.topicConfig(topic)) {
          findings.append(VerifyFinding(topic: topic.value, partition: nil, file: names.groupTopicFolder(group, topic), position: nil, kind: .leftover))
        }
      }
      let topicFolders = (try? fileSystem.listDirectory(names.topicsFolder)) ?? []
      for name in topicFolders.sorted() {
        guard let topic = try? TopicName(name), !fileSystem.exists(names.topicConfig(topic)) else { continue }
        findings.append(VerifyFinding(topic: topic.value, partition: nil, file: names.topicFolder(topic), position: nil, kind: .leftover))
      }
      return findings
    }
  }

  /// Removes the leftovers of `findings` under the exclusive topics lock, each checked again
  /// there: everything of a topic that has no configuration (`removeLeftovers`), and the
  /// partition folders past a live topic's count.
  func removeLeftovers(_ findings: [VerifyFinding]) throws(StorageError) -> [RepairAction] {
    let topics = Set(findings.compactMap { $0.topic.flatMap { try? TopicName($0) } })
    return try withTopicsLock(exclusive: true) { () throws(StorageError) -> [RepairAction] in
      var actions: [RepairAction] = []
      for topic in topics.sorted() {
        guard fileSystem.exists(names.topicConfig(topic)) else {
          if try removeLeftovers(of: topic) {
            actions.append(RepairAction(topic: topic.value, partition: nil, file: names.topicFolder(topic), kind: .removedLeftovers))
          }
          continue
        }
        guard let count = try? config(of: topic).partitions else { continue }
        for partition in try partitionFoldersOnDisk(topic) where partition >= count {
          try retirePartitionFolder(topic, partition)
          actions.append(
            RepairAction(topic: topic.value, partition: partition, file: names.partitionFolder(topic, partition), kind: .removedLeftovers))
        }
      }
      if !actions.isEmpty { try syncDataDirectory() }
      return actions
    }
  }

  private func isDirectory(_ path: String) -> Bool {
    guard let info = try? fileSystem.status(path) else { return false }
    return (info.st_mode & S_IFMT) == S_IFDIR
  }
}
