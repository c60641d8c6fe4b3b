/// A batch a reader handed out without checking its CRC and, when compressed, without decoding
/// it (`PartitionReading.nextUncheckedBatch`): its caller checks and decodes it, possibly on
/// another thread and after later calls to the reader, as long as it holds `memory`.
package struct UncheckedBatch {
  package let view: RecordBatchView
  /// Keeps `view`'s bytes readable; nil when they are valid only until the reader's next call
  /// (bytes read into the reader's own buffer), and the caller must copy them to keep them.
  package let memory: (any BatchMemory)?
  /// The topic's `max.message.bytes`, which bounds what a compressed batch may decode to.
  package let maxMessageBytes: Int

  package init(view: RecordBatchView, memory: (any BatchMemory)?, maxMessageBytes: Int) {
    self.view = view
    self.memory = memory
    self.maxMessageBytes = maxMessageBytes
  }
}

/// Memory holding batches handed out unchecked: a mapped window of a segment file.
package protocol BatchMemory: AnyObject {
  /// Changes whenever mapped bytes anywhere in the process turned to zeros (a file cut short
  /// under its mapping): what was read from a mapping while it changed is not to be trusted.
  var faultGeneration: Int { get }
}
