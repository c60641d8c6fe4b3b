/// Appends acknowledged after the call that sends them returns: a cluster's idempotent
/// producer keeps several Produce requests in flight per partition, in order, each batch
/// stamped with its sequence so the broker stores a resent one once. A service offers one
/// through `LogService.appendPipeline()` where it can; where it cannot (a data directory, a
/// broker without producer ids) each flush goes through `LogService.append` and waits.
package protocol AppendPipeline: AnyObject {
  /// Sends one flush: `appends`, one per partition. Their bytes are copied, so the caller may
  /// reuse its buffers at once. Waits only while a partition has as many requests in flight as
  /// allowed. Returns the flushes settled meanwhile, oldest first.
  func send(_ appends: [PartitionAppend]) -> [SettledFlush]
  /// Waits until every flush sent is settled; returns them, oldest first.
  func settle() -> [SettledFlush]
}

/// What became of one flush sent through an `AppendPipeline`: one result per append, in the
/// order they were given. A failure is final (retries are behind it): those records were
/// not acknowledged, and none sent after it is retried.
package struct SettledFlush {
  package var results: [Result<AppendedRecords, StorageError>]

  package init(results: [Result<AppendedRecords, StorageError>]) {
    self.results = results
  }
}
