import Glibc
import KQLog

/// Where `MarkedOutput.resume` starts reading the output's tail for one input partition of a
/// group (FORMAT.md, "Pipes"): per output partition, an offset below which no batch of an
/// uncommitted range of that input lies. Kept in `groups/GROUP/TOPIC/N.pipe`, written after
/// each commit of the input partition; without it, resume reads the output from its start.
package struct PipeCheckpoint: Equatable, Sendable {
  package static let firstLine = "kq pipe checkpoint 1"
  package var output: TopicName
  package var offsets: [Int: Int64]

  package init(output: TopicName, offsets: [Int: Int64]) {
    self.output = output
    self.offsets = offsets
  }

  /// `kq pipe checkpoint 1 OUT\n` then `PARTITION OFFSET\n` per output partition.
  package var encoded: [UInt8] {
    var text = Self.firstLine + " " + output.value + "\n"
    for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) { text += String(partition) + " " + String(offset) + "\n" }
    return Array(text.utf8)
  }

  /// The checkpoint in a file's bytes, or nil when they are not one: a damaged or foreign
  /// checkpoint only costs reading the whole output.
  package init?(decoding bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard text.hasSuffix("\n") else { return nil }
    var lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
    guard !lines.isEmpty else { return nil }
    let head = lines.removeFirst()
    guard head.hasPrefix(Self.firstLine + " "), let output = try? TopicName(String(head.dropFirst(Self.firstLine.count + 1)))
    else { return nil }
    var offsets: [Int: Int64] = [:]
    for line in lines {
      let fields = line.split(separator: " ", omittingEmptySubsequences: false)
      guard fields.count == 2, let partition = Int(fields[0]), partition >= 0, partition < TopicConfig.maxPartitions,
        let offset = Int64(fields[1]), offset >= 0, offsets[partition] == nil
      else { return nil }
      offsets[partition] = offset
    }
    self.init(output: output, offsets: offsets)
  }
}

extension DataDirectory {
  /// The group's pipe checkpoint for an input partition, or nil (none, or unreadable).
  package func pipeCheckpoint(group: GroupName, input: InputPartition) -> PipeCheckpoint? {
    let path = names.groupPipeCheckpoint(group, input.topic, input.partition)
    guard let bytes = (try? fileSystem.readSmallFile(path, limit: 1 << 20)) ?? nil else { return nil }
    return PipeCheckpoint(decoding: bytes)
  }

  /// Replaces the checkpoint by a rename, under the shared topics lock and only while the input
  /// topic exists (a deletion removes the group's files of the topic). Not fsynced: it is
  /// written after the commit it follows is durable, so a lost or damaged one is only an older
  /// or no checkpoint, which costs reading more of the output, never a wrong recovery.
  package func writePipeCheckpoint(_ checkpoint: PipeCheckpoint, group: GroupName, input: InputPartition) throws(StorageError) {
    try withTopicsLock(exclusive: false) { () throws(StorageError) in
      guard fileSystem.exists(names.topicConfig(input.topic)) else { throw .topicDeleted(input.topic.value) }
      let path = names.groupPipeCheckpoint(group, input.topic, input.partition)
      do throws(Errno) {
        try fileSystem.replaceAtomically(
          path, with: checkpoint.encoded, directory: names.groupTopicFolder(group, input.topic),
          temporaryPath: names.groupPipeCheckpointTemporary(group, input.topic, input.partition), durable: false)
      } catch { throw .io(error, operation: "write", path: path) }
    }
  }
}
