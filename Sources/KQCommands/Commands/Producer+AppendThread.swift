import KQLog

/// Bulk flushes appended on the service's `AppendThread` (a data directory): while the thread
/// appends one flush's batches (the pwrites, index entries, locks), the loop reads and encodes
/// the next into the other set of encoders (`deferredEncoders`, which hold the flush in flight).
/// Each flush waits for the one before it first, so flushes are appended in input order and
/// one at a time; every other flush (input paused, the end, an input error, a sync) waits for
/// it too and then appends at once, so a line that arrives alone is stored before kq waits for
/// more, and the count of records stored is exact whenever it is reported.
extension Producer {
  enum AppendThreadState {
    case unasked
    case unavailable
    case running(AppendThread)
  }

  /// A flush on the append thread: the partitions of its appends, in order.
  struct ThreadFlush {
    var partitions: [Int]
  }

  /// The append thread, for a bulk flush without a codec (whose flushes are deferred for the
  /// compressor instead), without --print-offsets (which prints flush by flush) and without an
  /// append pipeline (a cluster's, which keeps flushes in flight itself). Started at the first
  /// such flush, so a small input never makes one.
  func bulkAppendThread() throws -> AppendThread? {
    switch appendThread {
    case .running(let thread): return thread
    case .unavailable: return nil
    case .unasked:
      guard compressor == nil, !options.printOffsets, try openPipeline() == nil, let thread = service.appendThread() else {
        appendThread = .unavailable
        return nil
      }
      appendThread = .running(thread)
      return thread
    }
  }

  /// Waits for the flush before (counting it, syncing when due), then hands the pending
  /// batches to the thread and takes the other encoders for the records that follow. A writer
  /// that does not open is reported as `write` reports it: the partitions before it are
  /// appended at once.
  func writeOnThread(_ thread: AppendThread) throws {
    try settleAppendThread()
    guard pendingBytes > 0 else { return }
    let flush = openAppends()
    if let openFailure = flush.openFailure {
      let (_, failure) = count(service.append(flush.appends), of: flush.partitions, resetting: encoders)
      throw ProduceStorageFailure(underlying: failure ?? openFailure, stored: recordsStored)
    }
    thread.begin(flush.appends)
    threadFlush = ThreadFlush(partitions: flush.partitions)
    swapDeferred()
    deferredBytes = 0
    flushDone(appends: flush.appends.count)
    advanceStickyPartition()
  }

  /// Waits until the flush on the thread is appended and counts its records; throws its
  /// failure, else syncs when a sync is due (`--sync batch`: every flush).
  func settleAppendThread() throws {
    guard let flush = threadFlush, case .running(let thread) = appendThread else { return }
    threadFlush = nil
    let (_, failure) = count(thread.finish(), of: flush.partitions, resetting: deferredEncoders)
    if let failure { throw ProduceStorageFailure(underlying: failure, stored: recordsStored) }
    if isSyncDueAfterFlush { try syncAll() }
  }
}
