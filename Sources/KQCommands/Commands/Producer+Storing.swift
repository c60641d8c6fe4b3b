import Glibc
import KQStorage

/// Storing what the produce loop encoded: appends, offsets printed back, syncs.
extension Producer {
  /// Appends every pending batch, prints their offsets if asked, and syncs per policy.
  func flush() throws {
    guard pendingBytes > 0 else { return }
    var firstOffsets: [Int: Int64] = [:]
    for partition in encoders.indices {
      guard let encoder = encoders[partition], !encoder.isEmpty else { continue }
      let bytes = encoder.finish()
      let writer = try writer(for: partition)
      do {
        let result = try writer.append(UnsafeMutableRawBufferPointer(mutating: bytes))
        firstOffsets[partition] = result.firstOffset
        recordsStored += result.recordCount
      } catch {
        throw ProduceStorageFailure(underlying: error, stored: recordsStored)
      }
      encoder.reset()
    }
    pendingBytes = 0
    unsynced = true
    if options.framing != .json || options.partition == nil { stickyPartition = (stickyPartition + 1) % config.partitions }
    if options.sync == .batch || (options.sync == .exit && isSyncDue) {
      try syncAll()
    }
    if options.printOffsets { try printOffsets(firstOffsets) }
  }

  func printOffsets(_ firstOffsets: [Int: Int64]) throws {
    var next = firstOffsets
    output.count = 0
    for partition in pendingPartitions {
      let p = Int(partition)
      guard let offset = next[p] else { continue }
      output.append(String(p) + " " + String(offset) + "\n")
      next[p] = offset + 1
    }
    pendingPartitions.removeAll(keepingCapacity: true)
    do { try context.stdout.write(output.bytes) } catch {
      if error == .brokenPipe { return }
      throw ProduceStorageFailure(underlying: .io(error, operation: "write", path: "standard output"), stored: recordsStored)
    }
  }

  func writer(for partition: Int) throws -> any PartitionWriting {
    if let writer = writers[partition] { return writer }
    do {
      let writer = try service.openWriter(options.topic, partition: partition, config: config)
      writers[partition] = writer
      return writer
    } catch {
      throw ProduceStorageFailure(underlying: error, stored: recordsStored)
    }
  }

  /// A second since the last sync, or a wall clock that stepped back past it.
  var isSyncDue: Bool {
    let (elapsed, overflow) = context.clock.nowMillis().subtractingReportingOverflow(lastSyncMillis)
    return overflow || elapsed < 0 || elapsed >= Self.syncIntervalMillis
  }

  func syncAll() throws {
    for partition in writers.keys.sorted() {
      do { try writers[partition]?.sync() } catch {
        throw ProduceStorageFailure(underlying: error, stored: recordsStored)
      }
    }
    unsynced = false
    lastSyncMillis = context.clock.nowMillis()
  }
}
