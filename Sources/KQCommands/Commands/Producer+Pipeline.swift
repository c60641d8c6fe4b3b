import KQLog

/// Flushes through a service's `AppendPipeline` (a cluster's idempotent producer): a bulk
/// flush is sent and the loop reads on while up to five requests per partition are in flight;
/// every other flush, a sync and the end wait until all sent is settled. What is counted as
/// stored and printed by `--print-offsets` is what was acknowledged, in input order, flush by
/// flush as they settle.
extension Producer {
  enum PipelineState {
    case unasked
    case unavailable
    case open(any AppendPipeline)
  }

  /// A flush sent: the partition of each append, and for `--print-offsets` the partitions of
  /// its records in input order.
  struct SentFlush {
    var partitions: [Int]
    var printOrder: [Int32]
  }

  /// The service's pipeline, asked for at the first flush.
  func openPipeline() throws -> (any AppendPipeline)? {
    switch pipeline {
    case .open(let open): return open
    case .unavailable: return nil
    case .unasked:
      do {
        guard let opened = try service.appendPipeline() else {
          pipeline = .unavailable
          return nil
        }
        pipeline = .open(opened)
        return opened
      } catch {
        throw ProduceStorageFailure(underlying: error, stored: recordsStored)
      }
    }
  }

  /// Sends a flush's appends; their encoders are free again at once.
  func send(
    _ appends: [PartitionAppend], partitions: [Int], through pipeline: any AppendPipeline, openFailure: StorageError?,
    keepingInFlight: Bool
  ) throws {
    let settled = pipeline.send(appends)
    for partition in partitions { encoders[partition]?.reset() }
    flights.append(SentFlush(partitions: partitions, printOrder: pendingPartitions))
    pendingPartitions.removeAll(keepingCapacity: true)
    flushDone(appends: appends.count)
    try account(settled)
    if let openFailure {
      try settlePipeline()
      throw ProduceStorageFailure(underlying: openFailure, stored: recordsStored)
    }
    advanceStickyPartition()
    if isSyncDueAfterFlush {
      try syncAll()
    } else if !keepingInFlight {
      try settlePipeline()
    }
  }

  /// Waits until everything sent is acknowledged or failed.
  func settlePipeline() throws {
    guard case .open(let pipeline) = pipeline, !flights.isEmpty else { return }
    try account(pipeline.settle())
  }

  /// Counts what the settled flushes stored and prints their offsets if asked. At a failure
  /// the rest is settled too (what it stored counts, and is printed), then the first failure
  /// is thrown.
  private func account(_ settled: [SettledFlush]) throws {
    var settled = settled[...]
    var failure: StorageError?
    while let flush = settled.popFirst() {
      let sent = flights.removeFirst()
      var stored: [Int: (first: Int64, count: Int)] = [:]
      for (partition, result) in zip(sent.partitions, flush.results) {
        switch result {
        case .success(let appended):
          stored[partition] = (appended.firstOffset, appended.recordCount)
          recordsStored += appended.recordCount
        case .failure(let error):
          failure = failure ?? error
        }
      }
      if options.printOffsets { try printOffsets(stored, order: sent.printOrder) }
      if failure != nil, settled.isEmpty, !flights.isEmpty, case .open(let pipeline) = pipeline {
        settled = pipeline.settle()[...]
      }
    }
    if let failure { throw ProduceStorageFailure(underlying: failure, stored: recordsStored) }
  }
}
