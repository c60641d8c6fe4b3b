import Glibc
import KQLog

/// Follows partitions on a cluster by long polls: one Fetch per leader naming every followed
/// partition it leads (`KafkaCluster.fetch(_:maxWait:partitionMaxBytes:)`), so a record on any
/// of them ends the wait at once; what a fetch brings is kept by its reader for the next
/// `nextBatch`. Between polls of at most `pollMillis` it looks at the caller's descriptors
/// (Ctrl-C, a reader gone, a rebalance), so those wake it within a poll.
final class KafkaRecordWaiter: RecordWaiter {
  let cluster: KafkaCluster
  let readers: [KafkaPartitionReader]
  /// The longest one long poll waits.
  static let pollMillis: Int64 = 400

  init(cluster: KafkaCluster, readers: [KafkaPartitionReader]) {
    self.cluster = cluster
    self.readers = readers
    for reader in readers { reader.isFollowed = true }
  }

  func wait(wakingFor sources: [WakeSource], timeoutMillis: Int64?) -> WaitOutcome {
    let deadline = timeoutMillis.map { Deadline.after(.milliseconds(max(0, $0))) }
    while true {
      if let ready = Self.readySource(sources) { return ready }
      if readers.contains(where: \.hasFetchedBatches) { return .recordsMayHaveArrived }
      var wait = Self.pollMillis
      if let deadline {
        if deadline.hasPassed { return .timedOut }
        wait = min(wait, Int64(deadline.pollTimeoutMillis))
      }
      guard !readers.isEmpty else {
        if let ready = Self.readySource(sources, waitingMillis: wait) { return ready }
        continue
      }
      let results = cluster.fetch(
        readers.map(\.fetchTarget), maxWait: .milliseconds(wait), partitionMaxBytes: readers.map(\.fetchBytes))
      var arrived = false
      for (reader, result) in zip(readers, results) {
        // A failure is the reader's to report: its next `nextBatch` meets it again, retrying.
        do { if try reader.accept(result) { arrived = true } } catch { arrived = true }
      }
      if arrived || foundDeletedTopic() { return .recordsMayHaveArrived }
    }
  }

  /// After a poll that brought nothing: whether a followed topic is gone (each reader of it
  /// then fails with `topicDeleted`), since a fetch of a deleted topic may answer like an idle
  /// one (Tansu 0.6.0). One Metadata request per topic followed.
  private func foundDeletedTopic() -> Bool {
    var checked: Set<String> = []
    for reader in readers where reader.failure == nil && checked.insert(reader.topic.value).inserted {
      do { try reader.confirmTopicExists() } catch .topicDeleted(let topic) {
        for other in readers where other.topic.value == topic { other.failure = .topicDeleted(topic) }
        return true
      } catch {
        continue  // the reader's own next fetch meets and reports anything else
      }
    }
    return false
  }

  /// The first of `sources` that is ready, polling up to `waitingMillis`.
  private static func readySource(_ sources: [WakeSource], waitingMillis: Int64 = 0) -> WaitOutcome? {
    guard !sources.isEmpty else {
      if waitingMillis > 0 { _ = poll(nil, 0, Int32(clamping: waitingMillis)) }
      return nil
    }
    var entries = sources.map { pollfd(fd: $0.descriptor, events: $0.events, revents: 0) }
    let result = poll(&entries, nfds_t(entries.count), Int32(clamping: waitingMillis))
    guard result > 0 else { return nil }
    for index in entries.indices where entries[index].revents != 0 {
      return .source(index: index, events: entries[index].revents)
    }
    return nil
  }
}
