import Glibc
import KQLog

/// Follows partitions on a cluster by long polls: one Fetch per leader naming every followed
/// partition it leads (`KafkaCluster.fetch(_:maxWait:partitionMaxBytes:)`), so a record on any
/// of them ends the wait at once; what a fetch brings is kept by its reader for the next
/// `nextBatch`. Between polls of at most `pollMillis` it looks at the caller's descriptors
/// (Ctrl-C, a reader gone, a rebalance), so those wake it within a poll.
///
/// A cluster that cannot be reached while following (a broker restarting) is waited out, as
/// kcat and Kafka's consumers do: polls again with backoff (`retryBackoff` doubling up to
/// `retryBackoffMax`), still waking for the caller's descriptors and its timeout, with one
/// notice when the outage begins (`takeNotice`). A topic missing during an outage is part of
/// it (a broker that keeps topics in memory comes back without them until they are created
/// again). After it each reader checks its topic (`KafkaPartitionReader.checksForLostRecords`).
final class KafkaRecordWaiter: RecordWaiter {
  let cluster: KafkaCluster
  let readers: [KafkaPartitionReader]
  /// The longest one long poll waits.
  static let pollMillis: Int64 = 400
  /// The failure of the outage under way, nil while the cluster answers.
  private var outage: KafkaError?
  private var backoff: Duration
  private var notice: String?

  init(cluster: KafkaCluster, readers: [KafkaPartitionReader]) {
    self.cluster = cluster
    self.readers = readers
    self.backoff = cluster.options.retryBackoff
    for reader in readers { reader.isFollowed = true }
  }

  var isCutOff: Bool { outage != nil }

  func takeNotice() -> String? {
    defer { notice = nil }
    return notice
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
      if outage != nil {  // the backoff before polling a cluster that did not answer
        let pause = min(Int64(backoff.wireMilliseconds), wait)
        backoff = min(backoff * 2, cluster.options.retryBackoffMax)
        if let ready = Self.readySource(sources, waitingMillis: pause) { return ready }
        if let deadline, deadline.hasPassed { return .timedOut }
      }
      let results = cluster.fetch(
        readers.map(\.fetchTarget), maxWait: .milliseconds(wait), partitionMaxBytes: readers.map(\.fetchBytes))
      var arrived = false
      var unavailable: KafkaError?
      for (reader, result) in zip(readers, results) {
        if case .failure(let error) = result, error.isOutage || (outage != nil && error.code == .unknownTopicOrPartition) {
          unavailable = unavailable ?? error
          continue
        }
        // A failure is the reader's to report: its next `nextBatch` meets it again, retrying.
        do { if try reader.accept(result) { arrived = true } } catch { arrived = true }
      }
      if let unavailable {
        let begins = outage == nil
        outage = unavailable
        if begins {  // the caller says so, then waits again
          notice = "cannot reach the cluster at \(cluster.bootstrap.map(\.description).joined(separator: ",")) "
            + "(\(unavailable.description)); waiting for it to come back"
          return .recordsMayHaveArrived
        }
      } else if outage != nil {
        outage = nil
        backoff = cluster.options.retryBackoff
      }
      if arrived || (outage == nil && foundDeletedTopic()) { return .recordsMayHaveArrived }
    }
  }

  /// After a poll that brought nothing: whether a followed topic is gone (each reader of it
  /// then fails with `topicDeleted`), since a fetch of a deleted topic may answer like an idle
  /// one (Tansu 0.6.0). One Metadata request per topic followed.
  private func foundDeletedTopic() -> Bool {
    var checked: Set<String> = []
    for reader in readers where reader.failure == nil && !reader.checksForLostRecords && checked.insert(reader.topic.value).inserted {
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

extension KafkaError {
  /// A failure that says the cluster could not be asked right now (a network failure, a
  /// retriable broker error, retries that ran out of time), not that the request was wrong.
  var isOutage: Bool {
    if isRetriable { return true }
    if case .timedOut = self { return true }
    return false
  }
}
