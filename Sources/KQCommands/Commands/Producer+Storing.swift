import Glibc
import KQLog

/// Storing what the produce loop encoded: appends, offsets printed back, syncs.
extension Producer {
  /// Appends every pending batch, prints their offsets if asked, and syncs per policy. When an
  /// append fails, the records stored before it (in other partitions, or in segments the
  /// failing append filled first) are counted and their offsets printed, exactly those.
  /// Through a service's `AppendPipeline` (a cluster's idempotent producer) the appends are
  /// sent, and settled before this returns unless `keepingInFlight` (bulk input, which goes
  /// on reading meanwhile): see `Producer+Pipeline`.
  ///
  /// With a codec and no append pipeline, a bulk flush (`keepingInFlight`) writes the batches of
  /// the flush before it and only seals its own, which the compressor's thread goes on
  /// compressing while this thread reads, encodes and writes the next (`deferredEncoders`);
  /// any other flush writes both, in input order.
  func flush(keepingInFlight: Bool = false) throws {
    if keepingInFlight, try defersWrites() {
      guard pendingBytes > 0 else { return }
      for encoder in encoders { encoder?.sealBatch() }
      swapDeferred()
      guard pendingBytes > 0 else { return advanceStickyPartition() }  // the first such flush
      return try write(keepingInFlight: true)
    }
    if deferredBytes > 0 {
      swapDeferred()
      defer { swapDeferred() }
      try write(keepingInFlight: false)
    }
    try write(keepingInFlight: keepingInFlight)
  }

  /// Whether bulk flushes leave their batches to the next flush: only with a compressor (whose
  /// thread then never waits for the main one between flushes), not through an append pipeline
  /// (a cluster's idempotent producer keeps its own flushes in flight), and not with
  /// --print-offsets (which prints flush by flush).
  private func defersWrites() throws -> Bool {
    guard compressor != nil, !options.printOffsets else { return false }
    return try openPipeline() == nil
  }

  /// Trades the pending encoders for the deferred ones, and their byte counts.
  private func swapDeferred() {
    let count = max(encoders.count, deferredEncoders.count)
    let current = encoders + Array(repeating: nil, count: count - encoders.count)
    encoders = deferredEncoders + Array(repeating: nil, count: count - deferredEncoders.count)
    deferredEncoders = current
    (pendingBytes, deferredBytes) = (deferredBytes, pendingBytes)
  }

  /// Writes every pending batch (see `flush`).
  private func write(keepingInFlight: Bool) throws {
    guard pendingBytes > 0 else { return try settlePipeline() }
    var stored: [Int: (first: Int64, count: Int)] = [:]
    var failure: StorageError?
    // Every partition's batches go to the service in one call, so that a cluster sends them
    // all before it awaits an answer.
    var appends: [PartitionAppend] = []
    var partitions: [Int] = []
    var openFailure: StorageError?
    for partition in encoders.indices {
      guard let encoder = encoders[partition], !encoder.isEmpty else { continue }
      let bytes = encoder.finish()
      do throws(StorageError) {
        appends.append(PartitionAppend(writer: try writer(for: partition), batches: UnsafeMutableRawBufferPointer(mutating: bytes)))
        partitions.append(partition)
      } catch {
        openFailure = error
        break
      }
    }
    if let pipeline = try openPipeline() {
      return try send(appends, partitions: partitions, through: pipeline, openFailure: openFailure, keepingInFlight: keepingInFlight)
    }
    for (partition, result) in zip(partitions, service.append(appends)) {
      switch result {
      case .success(let appended):
        stored[partition] = (appended.firstOffset, appended.recordCount)
        encoders[partition]?.reset()
      case .failure(.appendStoppedPartway(let first, let count, let cause)):
        stored[partition] = (first, count)
        failure = failure ?? cause
      case .failure(let error):
        failure = failure ?? error
      }
      recordsStored += stored[partition]?.count ?? 0
    }
    failure = failure ?? openFailure
    flushDone(appends: appends.count)
    if let failure {
      if options.printOffsets { try printOffsets(stored) }
      throw ProduceStorageFailure(underlying: failure, stored: recordsStored)
    }
    advanceStickyPartition()
    if isSyncDueAfterFlush {
      do { try syncAll() } catch {
        if options.printOffsets { try printOffsets(stored) }  // stored, if not yet durable
        throw error
      }
    }
    if options.printOffsets { try printOffsets(stored) }
  }

  /// What every flush does once its appends went out: nothing pending, the next bulk flush's
  /// size (1 MiB per partition this one wrote to, 4 MiB with a codec; 8 MiB at most).
  func flushDone(appends: Int) {
    pendingBytes = 0
    let perPartition = compressor == nil ? Self.flushBytes : Self.compressedFlushBytes
    flushLimit = min(perPartition * max(appends, 1), 8 * Self.flushBytes)
    unsynced = true
  }

  func advanceStickyPartition() {
    if options.framing != .json || options.partition == nil { stickyPartition = (stickyPartition + 1) % config.partitions }
  }

  var isSyncDueAfterFlush: Bool { options.sync == .batch || (options.sync == .exit && isSyncDue) }

  /// Prints `PARTITION OFFSET` for each pending record that was stored, in input order.
  func printOffsets(_ stored: [Int: (first: Int64, count: Int)]) throws {
    try printOffsets(stored, order: pendingPartitions)
    pendingPartitions.removeAll(keepingCapacity: true)
  }

  /// Prints `PARTITION OFFSET` for each record of `order` (their partitions, in input order)
  /// that was stored.
  func printOffsets(_ stored: [Int: (first: Int64, count: Int)], order: [Int32]) throws {
    var left = stored
    output.count = 0
    for partition in order {
      let p = Int(partition)
      guard let (offset, count) = left[p], count > 0 else { continue }
      output.append(String(p) + " " + String(offset) + "\n")
      left[p] = (offset + 1, count - 1)
    }
    progress?.finish()  // stdout may be the same terminal: the lines go below, not after, the progress line
    do { try context.stdout.write(output.bytes) } catch {
      if error == .brokenPipe { return }
      throw ProduceStorageFailure(underlying: .io(error, operation: "write", path: "standard output"), stored: recordsStored)
    }
  }

  /// Grows the topic this run created so that `partition` exists (see `addsPartitions`).
  func addPartitions(upTo partition: Int) throws {
    do {
      config = try service.alterTopic(options.topic, settings: [("partitions", String(partition + 1))])
    } catch {
      throw ProduceStorageFailure(underlying: error, stored: recordsStored)
    }
    if encoders.count < config.partitions { encoders += Array(repeating: nil, count: config.partitions - encoders.count) }
  }

  func writer(for partition: Int) throws(StorageError) -> any PartitionWriting {
    if let writer = writers[partition] { return writer }
    let writer = try service.openWriter(options.topic, partition: partition, config: config)
    if options.sync == .exit { writer.expectDurability() }
    writers[partition] = writer
    return writer
  }

  /// Without syncing: fails when a partition written was deleted since (its records with it),
  /// so that kq never exits 0 with records gone.
  func confirmAll() throws {
    try settlePipeline()
    for partition in writers.keys.sorted() {
      do { try writers[partition]?.confirmAppended() } catch {
        throw ProduceStorageFailure(underlying: error, stored: recordsStored)
      }
    }
  }

  /// A second since the last sync, or a wall clock that stepped back past it.
  var isSyncDue: Bool {
    let (elapsed, overflow) = context.clock.nowMillis().subtractingReportingOverflow(lastSyncMillis)
    return overflow || elapsed < 0 || elapsed >= Self.syncIntervalMillis
  }

  func syncAll() throws {
    try settlePipeline()
    for partition in writers.keys.sorted() {
      do { try writers[partition]?.makeDurable() } catch {
        throw ProduceStorageFailure(underlying: error, stored: recordsStored)
      }
    }
    unsynced = false
    lastSyncMillis = context.clock.nowMillis()
  }
}
