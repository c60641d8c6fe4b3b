import Glibc
import KQLog

/// `kq verify`: every topic's configuration and partitions, and every group's committed
/// offsets (FORMAT.md, "Verifying and repairing").
extension DataDirectory {
  package func verify(topics requested: [TopicName]?, repair: Bool, progress: (VerifyProgress) -> Void)
    throws(StorageError) -> VerifyReport
  {
    var report = VerifyReport()
    let topics: [TopicName]
    if let requested { topics = requested } else { topics = try topicNames() }
    let leftovers = try leftoverFindings().filter { finding in
      requested.map { requested in requested.contains { $0.value == finding.topic } } ?? true
    }
    report.findings += leftovers
    if repair && !leftovers.isEmpty { report.repairs += try removeLeftovers(leftovers) }
    var logEnds: [TopicName: [Int: Int64]] = [:]
    for topic in topics {
      var partitions: Int
      do {
        partitions = try config(of: topic).partitions
      } catch {
        guard case .corruptFile(let file, let reason) = error else { throw error }
        report.findings.append(VerifyFinding(topic: topic.value, partition: nil, file: file, position: nil, kind: .badFile(reason)))
        if repair { report.repairs += try rewriteConfig(topic) }
        partitions = (try? config(of: topic).partitions) ?? partitionFolderCount(topic)
      }
      report.topicsChecked += 1
      for partition in 0..<partitions {
        let folder = partitionFolder(topic, partition)
        guard fileSystem.exists(folder) else {
          report.findings.append(
            VerifyFinding(topic: topic.value, partition: partition, file: folder, position: nil, kind: .missingPartition))
          if repair {
            do { try fileSystem.makeDirectory(folder) } catch { throw .io(error, operation: "mkdir", path: folder) }
            report.repairs.append(RepairAction(topic: topic.value, partition: partition, file: folder, kind: .createdFolder))
          }
          continue
        }
        var bytes: Int64 = 0
        var check = try PartitionCheck.run(folder: folder, topic: topic.value, partition: partition, fileSystem: fileSystem) {
          bytes += $0
          progress(VerifyProgress(topic: topic.value, partition: partition, bytesChecked: bytes))
        }
        // A compaction's swap or retention between reading an index and its log looks like
        // damage: a problem is only reported when a check under the append lock (which both
        // hold while they change files) finds it too.
        if check.findings.contains(where: { !$0.isNotice }), let locked = try PartitionCheck.runLocked(
          folder: folder, topic: topic.value, partition: partition, fileSystem: fileSystem)
        {
          check = locked
        }
        report.findings += check.findings
        report.partitionsChecked += 1
        report.segmentsChecked += check.segments.count
        report.bytesChecked += check.bytes
        logEnds[topic, default: [:]][partition] = check.logEnd
        if repair && !check.findings.isEmpty {
          report.repairs += try PartitionRepair.run(folder: folder, topic: topic.value, partition: partition, fileSystem: fileSystem)
          logEnds[topic, default: [:]][partition] =
            (try? PartitionCheck.run(folder: folder, topic: topic.value, partition: partition, fileSystem: fileSystem) { _ in })?.logEnd
        }
      }
    }
    try verifyGroups(topics: Set(topics), logEnds: logEnds, repair: repair, report: &report)
    return report
  }

  private func partitionFolderCount(_ topic: TopicName) -> Int {
    var count = 0
    while count < TopicConfig.maxPartitions && fileSystem.exists(partitionFolder(topic, count)) { count += 1 }
    return max(count, 1)
  }

  /// Keeps the damaged configuration as `config.damaged` and writes one from the lines that
  /// still parse (first of each key), the partition count from the folders, defaults for the rest.
  private func rewriteConfig(_ topic: TopicName) throws(StorageError) -> [RepairAction] {
    try withTopicsLock(exclusive: true) { () throws(StorageError) -> [RepairAction] in
      let path = names.topicConfig(topic)
      let bytes: [UInt8]
      do throws(Errno) { bytes = try fileSystem.readSmallFile(path) ?? [] } catch {
        throw .io(error, operation: "read", path: path)
      }
      var config = TopicConfig()
      var seen: Set<String> = []
      for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        let key = String(line[..<equals])
        guard key != "partitions", !seen.contains(key) else { continue }
        if (try? config.set(key, to: String(line[line.index(after: equals)...]))) != nil { seen.insert(key) }
      }
      config.partitions = partitionFolderCount(topic)
      let kept = path + ".damaged"
      do throws(Errno) {
        try fileSystem.replaceAtomically(kept, with: bytes, directory: names.topicFolder(topic), temporaryPath: kept + ".tmp")
        try fileSystem.replaceAtomically(
          path, with: config.serialized, directory: names.topicFolder(topic), temporaryPath: names.topicConfigTemporary(topic))
      } catch { throw .io(error, operation: "write", path: path) }
      return [RepairAction(topic: topic.value, partition: nil, file: path, kind: .rewroteFile(movedTo: kept))]
    }
  }

  /// Each committed offset: a decimal and a newline, at most the partition's log end.
  private func verifyGroups(topics: Set<TopicName>, logEnds: [TopicName: [Int: Int64]], repair: Bool, report: inout VerifyReport)
    throws(StorageError)
  {
    for group in try groupNames() {
      for topic in try self.topics(ofGroup: group) where topics.contains(topic) {
        let folder = names.groupTopicFolder(group, topic)
        let entries: [String]
        do { entries = try fileSystem.listDirectoryCompletely(folder) } catch {
          if error == .noSuchFile { continue }
          throw .io(error, operation: "list", path: folder)
        }
        for entry in entries.sorted() where entry.hasSuffix(".offset") {
          let digits = entry.dropLast(7)
          guard let partition = Int(digits), String(partition) == digits else { continue }
          let path = folder + "/" + entry
          let bytes: [UInt8]?
          do { bytes = try fileSystem.readSmallFile(path, limit: 64) } catch { throw .io(error, operation: "read", path: path) }
          guard let bytes else { continue }
          let text = String(decoding: bytes, as: UTF8.self)
          var kind: VerifyFinding.Kind?
          if bytes.count >= 64 || !text.hasSuffix("\n") || Int64(text.dropLast()).map({ $0 >= 0 }) != true {
            kind = .badFile("expected an offset and a newline")
          } else if let offset = Int64(text.dropLast()), let end = logEnds[topic]?[partition], offset > end {
            kind = .pastLogEnd(offset: offset, logEnd: end)
          }
          guard let kind else { continue }
          report.findings.append(VerifyFinding(topic: topic.value, partition: partition, file: path, position: nil, kind: kind))
          if repair {
            var target = path + ".damaged"
            var suffix = 1
            while fileSystem.exists(target) {
              target = path + ".damaged." + String(suffix)
              suffix += 1
            }
            do {
              try fileSystem.rename(path, to: target)
              try fileSystem.syncDirectory(folder)
            } catch { throw .io(error, operation: "rename", path: path) }
            report.repairs.append(
              RepairAction(topic: topic.value, partition: partition, file: path, kind: .rewroteFile(movedTo: target)))
          }
        }
      }
    }
  }
}
