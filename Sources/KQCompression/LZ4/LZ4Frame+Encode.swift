extension LZ4Frame {
  /// One frame as Kafka's producer writes it (see `LZ4Frame`).
  static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
    let count = input.count
    let source = input.bytePointer
    let blockCount = (count + kafkaBlockSize - 1) / kafkaBlockSize
    let lastBlockScratch = LZ4Block.compressedBound(kafkaBlockSize) - kafkaBlockSize + LZ4Block.encoderSlack
    let capacity = 7 + 4 * blockCount + count + 4 + lastBlockScratch
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: LZ4Block.hashTableCount)
    defer { table.deallocate() }
    return makeEncodedBytes(capacity: capacity) { output in
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
}
