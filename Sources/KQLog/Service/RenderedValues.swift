/// A batch's values, each followed by a terminator byte, as `RecordBatchView.appendValues`
/// writes them, copied out ahead of time by a reader's second thread (right after it checked
/// the batch's CRC, while the batch's bytes were still in that core's cache).
///
/// The bytes lie in a buffer that `owner` keeps allocated, where the values of the batches
/// after this one (until the reader's next window) follow them. The reader's thread writes
/// other windows' values into it later: a caller that keeps the bytes past its next call for
/// a batch of this reader must hold `owner` and be done with them by its second next call.
package struct RenderedValues {
  package let bytes: UnsafeRawBufferPointer
  /// The number of records (values) in `bytes`.
  package let records: Int
  package let owner: AnyObject

  package init(bytes: UnsafeRawBufferPointer, records: Int, owner: AnyObject) {
    self.bytes = bytes
    self.records = records
    self.owner = owner
  }
}
