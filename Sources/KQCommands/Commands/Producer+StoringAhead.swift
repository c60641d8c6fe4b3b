import KQLog

/// Bulk input stored on a second thread: while the store thread seals and appends one flush's
/// batches (CRC, compression, the write), the loop reads and encodes the next MiB into other
/// encoders. Only bulk flushes go there; every other flush (before waiting for input, at the
/// end, before an error is reported) first collects the one in flight and then stores
/// synchronously, so a line that arrives alone is still visible at once and every count of
/// stored records is exact.
extension Producer {
  /// The batches of one flush, handed to the store thread, and what their appends returned.
  final class StoreInFlight: @unchecked Sendable {
    let partitions: [Int]
    let encoders: [BatchEncoder]
    let writers: [any PartitionWriting]
    /// Set by the store thread; read after `WorkerThread.wait`.
    var results: [Result<AppendedRecords, StorageError>] = []

    init(partitions: [Int], encoders: [BatchEncoder], writers: [any PartitionWriting]) {
      self.partitions = partitions
      self.encoders = encoders
      self.writers = writers
    }

    /// Runs on the store thread.
    func store(into service: any LogService) {
      var appends: [PartitionAppend] = []
      for (encoder, writer) in zip(encoders, writers) {
        appends.append(PartitionAppend(writer: writer, batches: UnsafeMutableRawBufferPointer(mutating: encoder.finish())))
      }
      results = service.append(appends)
    }
  }

  /// Hands the pending batches to the store thread (after collecting the flush before them),
  /// or stores them at once where that is not possible: --print-offsets and `--sync batch`
  /// report or sync each flush before the next, and a writer that does not open is reported
  /// as `flush` reports it.
  func flushAhead() throws {
    guard pendingBytes > 0 else { return }
    guard !options.printOffsets, options.sync != .batch, let thread = makeStoreThread() else { return try flush() }
    try collectStore()
    var partitions: [Int] = []
    var handed: [BatchEncoder] = []
    var opened: [any PartitionWriting] = []
    for partition in encoders.indices {
      guard let encoder = encoders[partition], !encoder.isEmpty else { continue }
      do throws(StorageError) { opened.append(try writer(for: partition)) } catch { return try flush() }
      partitions.append(partition)
      handed.append(encoder)
    }
    var next = encoders
    for partition in partitions {
      next[partition] = spareEncoders.removeValue(forKey: partition) ?? makeEncoder()
    }
    encoders = next
    pendingBytes = 0
    if options.framing != .json || options.partition == nil { stickyPartition = (stickyPartition + 1) % config.partitions }
    let store = StoreInFlight(partitions: partitions, encoders: handed, writers: opened)
    storing = store
    let service = self.service
    thread.start { store.store(into: service) }
  }

  /// Waits for the flush on the store thread, counts what it stored, takes its encoders back
  /// and syncs when a sync is due; throws what its append failed with.
  func collectStore() throws {
    guard let store = storing else { return }
    storeThread?.wait()
    storing = nil
    var failure: StorageError?
    for result in store.results {
      switch result {
      case .success(let appended): recordsStored += appended.recordCount
      case .failure(.appendStoppedPartway(_, let count, let cause)):
        recordsStored += count
        failure = failure ?? cause
      case .failure(let error): failure = failure ?? error
      }
    }
    for (partition, encoder) in zip(store.partitions, store.encoders) {
      encoder.reset()
      spareEncoders[partition] = encoder
    }
    unsynced = true
    if let failure { throw ProduceStorageFailure(underlying: failure, stored: recordsStored) }
    if options.sync == .exit && isSyncDue { try syncAll() }
  }

  private func makeStoreThread() -> WorkerThread? {
    if storeThread == nil && !storeThreadRefused {
      storeThread = WorkerThread.make()
      storeThreadRefused = storeThread == nil
    }
    return storeThread
  }
}
