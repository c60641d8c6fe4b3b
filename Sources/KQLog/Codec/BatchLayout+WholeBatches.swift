extension BatchLayout {
  /// The whole batches at the start of `bytes`: where the first batch that is cut short (or
  /// not a batch) begins. A fetch answer may end inside a batch that did not fit. Only lengths
  /// are looked at; the batches' own checks are `BatchCheck`'s.
  package static func wholeBatchesLength(_ bytes: UnsafeRawBufferPointer) -> Int {
    var position = 0
    while bytes.count - position >= logOverhead {
      let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: position + batchLength, as: Int32.self)))
      guard length >= headerSize - logOverhead, length <= bytes.count - position - logOverhead else { break }
      position += logOverhead + length
    }
    return position
  }
}
