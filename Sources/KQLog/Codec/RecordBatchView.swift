import Glibc

/// A RecordBatch v2 read in place from a buffer: the header fields, the CRC check, and the
/// records. Nothing is copied; the view is valid while the buffer is.
package struct RecordBatchView {
  package let base: UnsafeRawPointer
  /// The whole batch: 12 + batchLength bytes.
  package let size: Int

  /// Reads the batch that starts at `base`, of which `available` bytes are present.
  /// Checks the length fields and magic once; records are checked as they are read.
  @inline(__always)
  package init(at base: UnsafeRawPointer, available: Int) throws(BatchDecodeError) {
    guard available >= BatchLayout.logOverhead else {
      throw .truncated(needed: BatchLayout.headerSize, available: available)
    }
    let length = base.bigEndian(Int32.self, at: BatchLayout.batchLength)
    guard length >= Int32(BatchLayout.headerSize - BatchLayout.logOverhead) else { throw .invalidLength(length) }
    let size = Int(length) + BatchLayout.logOverhead
    guard available >= size else { throw .truncated(needed: size, available: available) }
    let magic = base.load(fromByteOffset: BatchLayout.magic, as: UInt8.self)
    guard magic == BatchLayout.magicValue else { throw .unsupportedMagic(magic) }
    self.base = base
    self.size = size
  }

  /// A view whose length and magic the caller has already checked.
  package init(unchecked base: UnsafeRawPointer, size: Int) {
    self.base = base
    self.size = size
  }

  /// The batch size announced by a header whose first 12 bytes are at `base`, or nil when
  /// fewer than 12 bytes are present.
  @inline(__always)
  package static func announcedSize(at base: UnsafeRawPointer, available: Int) -> Int? {
    guard available >= BatchLayout.logOverhead else { return nil }
    return Int(base.bigEndian(Int32.self, at: BatchLayout.batchLength)) + BatchLayout.logOverhead
  }

  package var baseOffset: Int64 { base.bigEndian(Int64.self, at: BatchLayout.baseOffset) }
  package var lastOffsetDelta: Int32 { base.bigEndian(Int32.self, at: BatchLayout.lastOffsetDelta) }
  /// The last and next offsets as the header states them; `BatchCheck.offsets` makes them
  /// exact (and keeps them from wrapping) for every batch a reader hands out.
  package var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
  package var nextOffset: Int64 { lastOffset &+ 1 }
  package var attributes: Int16 { base.bigEndian(Int16.self, at: BatchLayout.attributes) }
  package var baseTimestamp: Int64 { base.bigEndian(Int64.self, at: BatchLayout.baseTimestamp) }
  package var maxTimestamp: Int64 { base.bigEndian(Int64.self, at: BatchLayout.maxTimestamp) }
  package var recordCount: Int32 { base.bigEndian(Int32.self, at: BatchLayout.recordCount) }
  package var storedCRC: UInt32 { base.bigEndian(UInt32.self, at: BatchLayout.crc) }
  package var isLogAppendTime: Bool { attributes & BatchLayout.logAppendTimeFlag != 0 }
  package var isControl: Bool { attributes & BatchLayout.controlFlag != 0 }
  package var isTransactional: Bool { attributes & BatchLayout.transactionalFlag != 0 }
  /// The producer that wrote the batch, -1 for none (neither idempotent nor transactional).
  package var producerId: Int64 { base.bigEndian(Int64.self, at: BatchLayout.producerId) }
  package var compressionCodec: Int { Int(attributes & BatchLayout.compressionMask) }

  package var computedCRC: UInt32 {
    CRC32C.checksum(
      UnsafeRawBufferPointer(start: base + BatchLayout.attributes, count: size - BatchLayout.attributes))
  }

  package func validateCRC() throws(BatchDecodeError) {
    let stored = storedCRC
    let computed = computedCRC
    guard stored == computed else { throw .crcMismatch(stored: stored, computed: computed) }
  }

  /// The smallest record: length, attributes, timestamp and offset deltas, key and value
  /// lengths, header count, one byte each.
  static let minimumRecordSize = 7

  /// The record count, when the batch has room for that many records: a negative or huge
  /// count (in a batch whose CRC was not checked) is malformed, not a reason to loop or
  /// allocate without end.
  @inline(__always)
  package func checkedRecordCount() throws(BatchDecodeError) -> Int {
    let count = Int(recordCount)
    let room = (size - BatchLayout.headerSize) / Self.minimumRecordSize
    guard count >= 0 else { throw .malformedRecord(index: 0) }
    guard count <= room else { throw .malformedRecord(index: room) }
    return count
  }

  /// Calls `body` with each record in offset order. Stops early when `body` returns false.
  @inline(__always)
  package func forEachRecord(_ body: (RecordView) throws -> Bool) throws {
    if compressionCodec != 0 { return try withDecompressed { try $0.forEachRecord(body) } }
    let count = try checkedRecordCount()
    let baseOffset = self.baseOffset
    let baseTimestamp = self.baseTimestamp
    let appendTime: Int64? = isLogAppendTime ? maxTimestamp : nil
    var position = BatchLayout.headerSize
    let end = size
    // A cleaned batch (FORMAT.md, "Compaction") keeps its lastOffsetDelta and loses records:
    // deltas only grow and leave room for the records after. In any other batch the bounds
    // meet at the record's index (BatchCheck made lastOffsetDelta = recordCount − 1).
    let lastDelta = Int64(lastOffsetDelta)
    var previousDelta: Int64 = -1
    for index in 0..<count {
      guard let record = RecordView(
        in: base, at: &position, end: end, index: index, deltaAbove: previousDelta,
        deltaAtMost: lastDelta &- Int64(count &- 1 &- index), baseOffset: baseOffset, baseTimestamp: baseTimestamp)
      else { throw BatchDecodeError.malformedRecord(index: index) }
      previousDelta = record.offset &- baseOffset
      var view = record
      if let appendTime { view.timestamp = appendTime }
      if try !body(view) { return }
    }
    // Bytes after the last record mean the count and the records disagree.
    guard position == end else { throw BatchDecodeError.malformedRecord(index: count) }
  }

  /// The records as owned values (tests and slow paths).
  package func records() throws -> [StoredRecord] {
    var result: [StoredRecord] = []
    try forEachRecord { view in
      result.append(StoredRecord(offset: view.offset, record: try view.record()))
      return true
    }
    return result
  }
}

/// One record inside a batch, read in place.
package struct RecordView {
  /// The record's place in its batch (0 for the first).
  package var index: Int
  package var offset: Int64
  package var timestamp: Int64
  /// nil for a null key or value.
  package var key: UnsafeRawBufferPointer?
  package var value: UnsafeRawBufferPointer?
  package var headerCount: Int
  /// The headers after the count varint, up to the record's end.
  package var headerBytes: UnsafeRawBufferPointer

  /// Reads record `index` of a batch; nil when it is malformed: a varint or length running
  /// past its end, or an offsetDelta not above `deltaAbove` (the previous record's) or above
  /// `deltaAtMost` (in an uncleaned batch both leave only `index`: records are dense).
  @inline(__always)
  init?(
    in base: UnsafeRawPointer, at position: inout Int, end: Int, index: Int, deltaAbove: Int64, deltaAtMost: Int64,
    baseOffset: Int64, baseTimestamp: Int64
  ) {
    guard let length = VarInt.read(base, at: &position, end: end, maxBytes: 5), length >= 0,
      position + Int(length) <= end
    else { return nil }
    let recordEnd = position + Int(length)
    position += 1  // attributes
    guard let timestampDelta = VarInt.read(base, at: &position, end: recordEnd),
      let offsetDelta = VarInt.read(base, at: &position, end: recordEnd, maxBytes: 5), offsetDelta > deltaAbove,
      offsetDelta <= deltaAtMost,
      let keyLength = VarInt.read(base, at: &position, end: recordEnd, maxBytes: 5), keyLength >= -1,
      position + Int(max(keyLength, 0)) <= recordEnd
    else { return nil }
    key = keyLength < 0 ? nil : UnsafeRawBufferPointer(start: base + position, count: Int(keyLength))
    position += Int(max(keyLength, 0))
    guard let valueLength = VarInt.read(base, at: &position, end: recordEnd, maxBytes: 5), valueLength >= -1,
      position + Int(max(valueLength, 0)) <= recordEnd
    else { return nil }
    value = valueLength < 0 ? nil : UnsafeRawBufferPointer(start: base + position, count: Int(valueLength))
    position += Int(max(valueLength, 0))
    guard let headers = VarInt.read(base, at: &position, end: recordEnd, maxBytes: 5), headers >= 0 else {
      return nil
    }
    headerCount = Int(headers)
    self.index = index
    headerBytes = UnsafeRawBufferPointer(start: base + position, count: recordEnd - position)
    position = recordEnd
    offset = baseOffset &+ offsetDelta  // within the batch's offsets, which BatchCheck bounds
    timestamp = baseTimestamp &+ timestampDelta
  }

  /// Calls `body` with each header's name and value (nil when null), in order. Headers that
  /// run past the record, or bytes left over after the last, are `malformedRecord`: the
  /// caller names the batch (`PartitionReading.damage(_:)`), never drops them quietly.
  package func forEachHeader(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) throws -> Void) throws {
    guard let start = headerBytes.baseAddress else {
      if headerCount == 0 { return }
      throw BatchDecodeError.malformedRecord(index: index)
    }
    guard try RecordHeaders.walk(start, count: headerCount, from: 0, end: headerBytes.count, body) else {
      throw BatchDecodeError.malformedRecord(index: index)
    }
  }

  package func headers() throws -> [Header] {
    var result: [Header] = []
    try forEachHeader { key, value in result.append(Header(key: Array(key), value: value.map { Array($0) })) }
    return result
  }

  package func record() throws -> Record {
    Record(key: key.map { Array($0) }, value: value.map { Array($0) }, headers: try headers(), timestamp: timestamp)
  }
}
