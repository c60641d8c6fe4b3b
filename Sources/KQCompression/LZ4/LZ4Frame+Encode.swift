extension LZ4Frame {
  /// One frame as Kafka's producer writes it (see `LZ4Frame`).
  static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
    makeEncodedBytes(capacity: encodingCapacity(input.count)) { output in compress(input, into: output) }
  }

  /// The room `compress(_:into:)` needs for `count` input bytes: the frame at its largest
  /// (every block stored raw) and the scratch the block encoder may write past its end.
  static func encodingCapacity(_ count: Int) -> Int {
    let blockCount = (count + kafkaBlockSize - 1) / kafkaBlockSize
    let lastBlockScratch = LZ4Block.compressedBound(kafkaBlockSize) - kafkaBlockSize + LZ4Block.encoderSlack
    return 7 + 4 * blockCount + count + 4 + lastBlockScratch
  }

  /// Writes the frame to `output`, which has room for `encodingCapacity(input.count)` bytes;
  /// returns the frame's size.
  static func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) -> Int {
    let count = input.count
    let source = input.bytePointer
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: LZ4Block.hashTableCount)
    defer { table.deallocate() }
    var op = output
    op.storeLE32(magic)
    op[4] = kafkaFlags
    op[5] = kafkaBlockDescriptor
    op[6] = Descriptor.headerChecksum(UnsafePointer(op + 4), count: 2)
    op += 7
    var position = 0
    while position < count {
      let blockSize = min(kafkaBlockSize, count - position)
      let written = LZ4Block.encode(source + position, count: blockSize, into: op + 4, table: table)
      if written < blockSize {
        op.storeLE32(UInt32(written))
        op += 4 + written
      } else {
        op.storeLE32(UInt32(blockSize) | uncompressedBit)
        (op + 4).copyBytes(from: source + position, count: blockSize)
        op += 4 + blockSize
      }
      position += blockSize
    }
    op.storeLE32(0)
    op += 4
    return op - output
  }
}
