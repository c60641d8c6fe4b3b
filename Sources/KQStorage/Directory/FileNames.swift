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

  /// The topic and partition a data directory entry names when it is a partition folder's
  /// name, `TOPIC-N` with N in plain decimal (so `A-1-0` is partition 0 of `A-1`, never one of
  /// `A`'s); nil for any other name.
  package static func partition(ofFolderName entry: String) -> (topic: String, partition: Int)? {
    guard let dash = entry.lastIndex(of: "-") else { return nil }
    let digits = entry[entry.index(after: dash)...]
    guard let partition = Int(digits), partition >= 0, String(partition) == digits else { return nil }
    return (String(entry[..<dash]), partition)
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

  /// The cleaner's checkpoint (Kafka's `cleaner-offset-checkpoint`, one per partition here):
  /// every offset below it lies in segments the cleaner wrote (FORMAT.md, "Compaction").
  package static func cleanerCheckpoint(in folder: String) -> String { folder + "/cleaner-offset-checkpoint" }
  package static func cleanerCheckpointTemporary(in folder: String) -> String {
    folder + "/cleaner-offset-checkpoint.tmp"
  }
  /// Held (`flock`) by the one process compacting the partition; never removed.
  package static func cleanerLock(in folder: String) -> String { folder + "/kq.cleaner" }

  /// The three files of a segment, by extension.
  package static let segmentExtensions = [".log", ".index", ".timeindex"]

  /// A segment file the cleaner is writing: `BASE.log.cleaned` (and `.index`, `.timeindex`).
  package static func cleanedFile(in folder: String, base: Int64, extension ext: String) -> String {
    folder + "/" + segmentBaseName(base) + ext + ".cleaned"
  }
  /// A cleaned segment committed to replace the segments from `base` up to `end` (exclusive):
  /// `BASE.END.log.swap`. The end in the name tells recovery which segments it replaces.
  package static func swapFile(in folder: String, base: Int64, end: Int64, extension ext: String) -> String {
    folder + "/" + segmentBaseName(base) + "." + segmentBaseName(end) + ext + ".swap"
  }
  /// A file of the segment at `base` by extension (`.log`, `.index`, `.timeindex`).
  package static func segmentFile(in folder: String, base: Int64, extension ext: String) -> String {
    folder + "/" + segmentBaseName(base) + ext
  }

  /// The base, end and extension of a swap file name, or nil.
  package static func swapRange(ofFileName name: String) -> (base: Int64, end: Int64, extension: String)? {
    guard name.hasSuffix(".swap") else { return nil }
    let stem = name.dropLast(5)
    for ext in segmentExtensions where stem.hasSuffix(ext) {
      let digits = stem.dropLast(ext.count).split(separator: ".", omittingEmptySubsequences: false)
      guard digits.count == 2, digits.allSatisfy({ $0.utf8.count == 20 && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
        let base = Int64(digits[0]), let end = Int64(digits[1]), base < end
      else { return nil }
      return (base, end, ext)
    }
    return nil
  }

  /// Whether `name` is a file the cleaner was writing (`….cleaned`).
  package static func isCleaned(_ name: String) -> Bool { name.hasSuffix(".cleaned") }

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
