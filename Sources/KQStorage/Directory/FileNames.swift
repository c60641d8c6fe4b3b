import KQLog
/// The one owner of kq's file names; FORMAT.md, "Files". Nothing else joins paths.
///
///     DATA_DIR/kq-format                          format marker
///     DATA_DIR/topics.lock                        orders topic creation, deletion, alteration
///     DATA_DIR/deleted/TOPIC-N/                   a partition folder being removed
///     DATA_DIR/topics/TOPIC/config                topic configuration (key=value lines)
///     DATA_DIR/TOPIC-N/                           partition N, as Kafka names it
///     DATA_DIR/TOPIC-N/<20-digit base>.log|.index|.timeindex
///     DATA_DIR/TOPIC-N/kq.lock                    append lock and recovery checkpoint
///     DATA_DIR/groups/GROUP/TOPIC/N.offset        committed offset of a group
///     DATA_DIR/groups/GROUP/TOPIC/N.lease         lease lock of a group's partition
///     DATA_DIR/groups/GROUP/TOPIC/N.pipe          where `kq pipe` recovery reads its output from
package struct FileNames: Sendable {
  package let root: String

  package init(root: String) {
    self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
  }

  package static let formatMarkerName = "kq-format"
  package var formatMarker: String { root + "/" + Self.formatMarkerName }
  /// A temporary file for the marker, of a name no other writer uses (`unique`: the pid and a
  /// random number): processes creating the same data directory at once each write their
  /// own, and each rename gives the same marker.
  package func formatMarkerTemporary(unique: String) -> String { root + "/kq-format." + unique + ".tmp" }
  /// Whether `name` (in the data directory) is a marker's temporary file.
  package static func isFormatMarkerTemporary(_ name: String) -> Bool {
    name.hasPrefix("kq-format.") && name.hasSuffix(".tmp")
  }
  package var topicsLock: String { root + "/topics.lock" }
  package var topicsFolder: String { root + "/topics" }
  /// Where a partition folder moves to be removed: out of its name at once, so that nothing
  /// opens it by name any more, then removed at leisure.
  package var deletedFolder: String { root + "/deleted" }
  package func deletedPartitionFolder(_ topic: TopicName, _ partition: Int) -> String {
    deletedFolder + "/" + topic.value + "-" + String(partition)
  }
  package var groupsFolder: String { root + "/groups" }

  package func topicFolder(_ topic: TopicName) -> String { topicsFolder + "/" + topic.value }
  package func topicConfig(_ topic: TopicName) -> String { topicFolder(topic) + "/config" }
  package func topicConfigTemporary(_ topic: TopicName) -> String { topicFolder(topic) + "/config.tmp" }

  package func partitionFolder(_ topic: TopicName, _ partition: Int) -> String {
    root + "/" + topic.value + "-" + String(partition)
  }

  /// The topic a partition folder (`…/TOPIC-N`) belongs to: its name up to the last `-`.
  package static func topic(ofPartitionFolder folder: String) -> String {
    let name = folder.split(separator: "/").last.map(String.init) ?? folder
    guard let dash = name.lastIndex(of: "-") else { return name }
    return String(name[..<dash])
  }

  package static func segmentBaseName(_ baseOffset: Int64) -> String {
    let digits = String(baseOffset)
    return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
  }

  package static func logFile(in folder: String, base: Int64) -> String {
    folder + "/" + segmentBaseName(base) + ".log"
  }
  package static func offsetIndexFile(in folder: String, base: Int64) -> String {
    folder + "/" + segmentBaseName(base) + ".index"
  }
  package static func timeIndexFile(in folder: String, base: Int64) -> String {
    folder + "/" + segmentBaseName(base) + ".timeindex"
  }
  package static func lockFile(in folder: String) -> String { folder + "/kq.lock" }

  /// The base offset of a segment file name like `00000000000000000042.log`, or nil.
  package static func segmentBase(ofFileName name: String, suffix: String = ".log") -> Int64? {
    guard name.hasSuffix(suffix) else { return nil }
    let digits = name.utf8.prefix(name.utf8.count - suffix.utf8.count)
    guard digits.count == 20, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return Int64(String(decoding: digits, as: UTF8.self))
  }

  package func groupFolder(_ group: GroupName) -> String { groupsFolder + "/" + group.value }
  package func groupTopicFolder(_ group: GroupName, _ topic: TopicName) -> String {
    groupFolder(group) + "/" + topic.value
  }
  package func groupOffset(_ group: GroupName, _ topic: TopicName, _ partition: Int) -> String {
    groupTopicFolder(group, topic) + "/" + String(partition) + ".offset"
  }
  package func groupOffsetTemporary(_ group: GroupName, _ topic: TopicName, _ partition: Int) -> String {
    groupTopicFolder(group, topic) + "/" + String(partition) + ".offset.tmp"
  }
  package func groupPipeCheckpoint(_ group: GroupName, _ topic: TopicName, _ partition: Int) -> String {
    groupTopicFolder(group, topic) + "/" + String(partition) + ".pipe"
  }
  package func groupPipeCheckpointTemporary(_ group: GroupName, _ topic: TopicName, _ partition: Int) -> String {
    groupTopicFolder(group, topic) + "/" + String(partition) + ".pipe.tmp"
  }
  package func groupLease(_ group: GroupName, _ topic: TopicName, _ partition: Int) -> String {
    groupTopicFolder(group, topic) + "/" + String(partition) + ".lease"
  }
}
