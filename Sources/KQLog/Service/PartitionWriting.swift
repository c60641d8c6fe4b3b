/// Appends to one partition.
package protocol PartitionWriting: AnyObject {
  /// Appends batches laid back to back (as `BatchEncoder` makes them); stamps base offsets.
  func append(_ batches: UnsafeMutableRawBufferPointer) throws(StorageError) -> AppendedRecords
  /// Makes every append so far durable: fsynced locally, acknowledged by every in-sync replica
  /// on a cluster. Throws `topicDeleted` when the topic was deleted since (the appends went
  /// with it).
  func makeDurable() throws(StorageError)
  /// Says that every append from now on will be made durable before long (produce's
  /// `--sync exit`), so that a writer may start on it early (a local one starts each append's
  /// writeback at once; the default does nothing).
  func expectDurability()
  /// Throws `topicDeleted` when the topic was deleted since the appends, without syncing.
  func confirmAppended() throws(StorageError)
  func close()
}

extension PartitionWriting {
  package func expectDurability() {}
}


/// The records one `append` stored: `recordCount` of them, from `firstOffset` on.
package struct AppendedRecords: Equatable, Sendable {
  package var firstOffset: Int64
  package var recordCount: Int

  package init(firstOffset: Int64, recordCount: Int) {
    self.firstOffset = firstOffset
    self.recordCount = recordCount
  }
}

/// One partition's share of a flush: its writer, and the batches for it laid back to back.
package struct PartitionAppend {
  package var writer: any PartitionWriting
  package var batches: UnsafeMutableRawBufferPointer

  package init(writer: any PartitionWriting, batches: UnsafeMutableRawBufferPointer) {
    self.writer = writer
    self.batches = batches
  }
}
