import Glibc
import KQLog

/// Follows partitions on a cluster by long-poll fetches, one reader at a time for a short
/// slice each, so that no partition waits behind another for long; what a fetch brings is kept
/// by its reader for the next `nextBatch`. Between slices it looks at the caller's descriptors
/// (Ctrl-C, a reader gone), so those wake it within a slice.
final class KafkaRecordWaiter: RecordWaiter {
  let readers: [KafkaPartitionReader]
  private var turn = 0
  /// The longest one long poll waits (split among the readers).
  static let sliceMillis: Int64 = 400

  init(readers: [KafkaPartitionReader]) { self.readers = readers }

  func wait(wakingFor sources: [WakeSource], timeoutMillis: Int64?) -> WaitOutcome {
    let deadline = timeoutMillis.map { Deadline.after(.milliseconds(max(0, $0))) }
    let slice = max(10, Self.sliceMillis / Int64(max(1, readers.count)))
    while true {
      if let ready = Self.readySource(sources) { return ready }
      if readers.contains(where: \.hasFetchedBatches) { return .recordsMayHaveArrived }
      var wait = slice
      if let deadline {
        if deadline.hasPassed { return .timedOut }
        wait = min(wait, Int64(deadline.pollTimeoutMillis))
      }
      guard !readers.isEmpty else {
        if let ready = Self.readySource(sources, waitingMillis: wait) { return ready }
        continue
      }
      let reader = readers[turn % readers.count]
      turn &+= 1
      // A failure is the reader's to report: its next `nextBatch` meets it again.
      do { if try reader.fetch(maxWait: .milliseconds(wait)) { return .recordsMayHaveArrived } } catch {
        return .recordsMayHaveArrived
      }
    }
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
