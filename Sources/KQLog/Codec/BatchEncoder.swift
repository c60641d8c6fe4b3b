import Glibc
import KQCompression

/// Encodes records into RecordBatch v2 batches, back to back in one reused buffer, so that a
/// producer writes many batches with one `pwrite`. Base offsets are left 0: the partition log
/// assigns them under its append lock (baseOffset is outside the CRC, so no re-checksum).
///
/// A batch closes when the next record would take it past `maxBatchBytes` (the smaller of
/// `max.message.bytes` and `segment.bytes`); a record that alone exceeds it still gets a batch
/// of its own, and the caller decides whether that is allowed (`batchSize(ofSingle:)`).
package final class BatchEncoder {
  package let buffer: ByteBuffer
  package var maxBatchBytes: Int
  /// When set (LogAppendTime topics), each batch's maxTimestamp is this clock's time at seal.
  package var logAppendTime: (() -> Int64)?
  /// The codec each batch's records section is compressed with when sealed. `maxBatchBytes`
  /// counts the uncompressed batch; a batch that the codec would not shrink is stored
  /// uncompressed, so a stored batch never exceeds it.
  package var codec: CompressionCodec = .none
  /// When set, batches sealed because they are full are compressed by it (on its thread, or by
  /// `finish()` when the thread has not got to them) while records go on being encoded behind
  /// them; `finish()` stores them. Without one, or for the last batch when none is queued,
  /// `sealBatch` compresses at once. Set once, before the first record.
  package var compressor: BatchCompressor?
  /// Sealed batches whose records `compressor` has, in buffer order: where each starts and its
  /// ticket. Their CRC is written by `finish()`.
  private var queuedBatches: [(start: Int, ticket: Int)] = []

  // The open batch's state, internal (not private) for `appendLines`'s loop, which keeps it in
  // registers and stores it back once per call (BatchEncoder+Lines.swift).
  /// Where the open batch starts in `buffer`; -1 when none is open.
  var batchStart = -1
  var batchRecords = 0
  var baseTimestamp: Int64 = 0
  var maxTimestamp: Int64 = 0
  /// Records in all batches of the buffer, sealed or open.
  package internal(set) var recordCount = 0
  /// Sealed batches in the buffer.
  package private(set) var batchCount = 0

  package init(maxBatchBytes: Int, capacity: Int = 1 << 20, excludedFromForks: Bool = false) {
    self.maxBatchBytes = maxBatchBytes
    self.buffer = ByteBuffer(capacity: capacity, excludedFromForks: excludedFromForks)
  }

  /// The compressor may still be reading batches in `buffer`, which goes first.
  deinit { if !queuedBatches.isEmpty { storeQueuedBatches() } }

  package var isEmpty: Bool { recordCount == 0 }

  /// Bytes of the batch still open (0 when none is): the next record starts a new batch when
  /// this is 0, or when it would take the batch past `maxBatchBytes`.
  package var openBatchBytes: Int { batchStart < 0 ? 0 : buffer.count - batchStart }

  /// An upper bound of the bytes a record adds to a batch (its length prefix included),
  /// whatever its place and timestamp: a caller that must know which record opens a batch
  /// seals first when `openBatchBytes` plus this would pass `maxBatchBytes`.
  package static func recordBytesBound(keyCount: Int, valueCount: Int, headersCount: Int) -> Int {
    5 + 1 + 10 + 5 + 5 + max(keyCount, 0) + 5 + max(valueCount, 0) + headersCount
  }

  /// Bytes of the record's encoding after its length prefix.
  @inline(__always)
  static func bodySize(timestampDelta: Int64, offsetDelta: Int, keyCount: Int, valueCount: Int, headersCount: Int)
    -> Int
  {
    1 + VarInt.size(timestampDelta) + VarInt.size(Int64(offsetDelta))
      + VarInt.size(Int64(keyCount)) + max(keyCount, 0)
      + VarInt.size(Int64(valueCount)) + max(valueCount, 0) + headersCount
  }

  /// The size of a batch holding only this record: what `max.message.bytes` is compared with.
  package static func batchSize(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headerBytes: Int)
    -> Int
  {
    let body = bodySize(
      timestampDelta: 0, offsetDelta: 0, keyCount: key.map { $0.count } ?? -1,
      valueCount: value.map { $0.count } ?? -1, headersCount: headerBytes)
    return BatchLayout.headerSize + VarInt.size(Int64(body)) + body
  }

  /// Appends a record; `headers` is the encoded header section (count and headers). Returns
  /// the bytes the buffer grew by (a batch header included when the record opened a batch).
  @inline(__always) @discardableResult
  package func append(
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer, timestamp: Int64
  ) -> Int {
    let before = buffer.count
    let keyCount = key.map { $0.count } ?? -1
    let valueCount = value.map { $0.count } ?? -1
    if batchStart >= 0,
      let added = appendShort(key: key, keyCount: keyCount, value: value, valueCount: valueCount, headers: headers, timestamp: timestamp)
    {
      return added
    }
    if batchStart < 0 { openBatch(timestamp: timestamp) }
    var delta = timestamp &- baseTimestamp
    var body = Self.bodySize(
      timestampDelta: delta, offsetDelta: batchRecords, keyCount: keyCount, valueCount: valueCount,
      headersCount: headers.count)
    if batchRecords > 0
      && (buffer.count - batchStart + VarInt.size(Int64(body)) + body > maxBatchBytes || batchRecords == Int32.max)
    {
      sealBatch()
      openBatch(timestamp: timestamp)
      delta = 0
      body = Self.bodySize(
        timestampDelta: 0, offsetDelta: 0, keyCount: keyCount, valueCount: valueCount, headersCount: headers.count)
    }
    reserve(10 + body)
    var p = buffer.base + buffer.count
    p += VarInt.write(Int64(body), to: p)
    p.storeBytes(of: 0, as: UInt8.self)
    p += 1
    p += VarInt.write(delta, to: p)
    p += VarInt.write(Int64(batchRecords), to: p)
    p += VarInt.write(Int64(keyCount), to: p)
    if keyCount > 0, let key = key?.baseAddress {
      copySmall(to: p, from: key, count: keyCount)
      p += keyCount
    }
    p += VarInt.write(Int64(valueCount), to: p)
    endRecord(at: p, value: value, valueCount: valueCount, headers: headers, timestamp: timestamp)
    return buffer.count - before
  }

  /// The end of every record: its value (after the length the caller wrote), its headers,
  /// then the buffer's and the batch's counts.
  @inline(__always)
  private func endRecord(
    at start: UnsafeMutableRawPointer, value: UnsafeRawBufferPointer?, valueCount: Int, headers: UnsafeRawBufferPointer,
    timestamp: Int64
  ) {
    var p = start
    if valueCount > 0, let value = value?.baseAddress {
      copySmall(to: p, from: value, count: valueCount)
      p += valueCount
    }
    // Most records' headers are the one byte of a zero count: stored, not a call to memcpy.
    if headers.count == 1, let header = headers.baseAddress {
      p.storeBytes(of: header.load(as: UInt8.self), as: UInt8.self)
      p += 1
    } else if headers.count > 1, let header = headers.baseAddress {
      memcpy(p, header, headers.count)
      p += headers.count
    }
    buffer.count = p - buffer.base
    if timestamp > maxTimestamp { maxTimestamp = timestamp }
    batchRecords &+= 1  // below Int32.max: a full batch is sealed first
    recordCount &+= 1
  }

  /// `append` for the usual record: a batch is open and has room for it, and its timestamp
  /// delta, offset delta, key length and value length each take at most 2 varint bytes. Each
  /// is then sized by one comparison and written with one 2-byte store (its second byte, when
  /// not used, is overwritten by the next field). nil, and nothing written, for any other
  /// record: the general path takes it.
  @inline(__always)
  private func appendShort(
    key: UnsafeRawBufferPointer?, keyCount: Int, value: UnsafeRawBufferPointer?, valueCount: Int,
    headers: UnsafeRawBufferPointer, timestamp: Int64
  ) -> Int? {
    let delta = VarInt.zigZag(timestamp &- baseTimestamp)
    let offset = UInt64(truncatingIfNeeded: batchRecords) &<< 1
    let keyLength = VarInt.zigZag(Int64(keyCount))
    let valueLength = VarInt.zigZag(Int64(valueCount))
    guard (delta | offset | keyLength | valueLength) < 0x4000 else { return nil }
    let body =
      1 &+ Self.shortSize(delta) &+ Self.shortSize(offset) &+ Self.shortSize(keyLength) &+ Self.shortSize(valueLength)
      &+ max(keyCount, 0) &+ max(valueCount, 0) &+ headers.count
    let size = VarInt.size(Int64(body)) &+ body
    guard buffer.count &- batchStart &+ size <= maxBatchBytes else { return nil }
    reserve(size &+ 1)
    var p = buffer.base + buffer.count
    p += VarInt.write(Int64(body), to: p)
    p.storeBytes(of: 0, as: UInt8.self)
    p += 1
    p += Self.writeShort(delta, to: p)
    p += Self.writeShort(offset, to: p)
    p += Self.writeShort(keyLength, to: p)
    if keyCount > 0, let key = key?.baseAddress {
      copySmall(to: p, from: key, count: keyCount)
      p += keyCount
    }
    p += Self.writeShort(valueLength, to: p)
    endRecord(at: p, value: value, valueCount: valueCount, headers: headers, timestamp: timestamp)
    return size
  }

  /// `append` of a record with both key and value (`KeyedLineEncoder`'s lines). The usual one
  /// (a batch open with room, a key under 64 bytes, each varint at most 2 bytes) is written
  /// here in one pass, its key copied by two overlapping loads and stores instead of a call to
  /// `memcpy`; any other goes to `append`. Same bytes as `append` either way.
  @inline(__always)
  func appendKeyed(
    key: UnsafeRawPointer, keyCount: Int, value: UnsafeRawPointer, valueCount: Int, headers: UnsafeRawBufferPointer,
    timestamp: Int64
  ) -> Int {
    // Every field is read once into a local: a store through `p` might otherwise be taken to
    // change them, and each read again after it.
    let buffer = self.buffer
    let used = buffer.count
    let start = batchStart
    let delta = VarInt.zigZag(timestamp &- baseTimestamp)
    let records = batchRecords
    let offset = UInt64(truncatingIfNeeded: records) &<< 1
    let valueLength = UInt64(truncatingIfNeeded: valueCount) &<< 1
    if start >= 0, keyCount < 64, (delta | offset | valueLength) < 0x4000 {
      let headerCount = headers.count
      let body =
        2 &+ Self.shortSize(delta) &+ Self.shortSize(offset) &+ Self.shortSize(valueLength) &+ keyCount &+ valueCount
        &+ headerCount
      let bodyLength = UInt64(truncatingIfNeeded: body) &<< 1
      let size = Self.shortSize(bodyLength) &+ body
      if bodyLength < 0x4000, used &- start &+ size <= maxBatchBytes, used &+ size &+ 8 <= buffer.capacity {
        var p = buffer.base + used
        // The record's first fields (length, attributes 0, timestamp delta, offset delta, key
        // length: 8 bytes at most) gathered in a register and stored at once.
        var fields = Self.shortBytes(bodyLength)
        var bits = Self.shortSize(bodyLength) &<< 3 &+ 8
        fields |= Self.shortBytes(delta) &<< UInt64(truncatingIfNeeded: bits)
        bits &+= Self.shortSize(delta) &<< 3
        fields |= Self.shortBytes(offset) &<< UInt64(truncatingIfNeeded: bits)
        bits &+= Self.shortSize(offset) &<< 3
        fields |= UInt64(truncatingIfNeeded: keyCount &<< 1) &<< UInt64(truncatingIfNeeded: bits)
        bits &+= 8
        p.storeBytes(of: fields.littleEndian, as: UInt64.self)
        p += bits &>> 3
        Self.copyKey(to: p, from: key, count: keyCount)
        p += keyCount
        p += Self.writeShort(valueLength, to: p)
        if valueCount > 0 {
          copySmall(to: p, from: value, count: valueCount)
          p += valueCount
        }
        if headerCount == 1, let header = headers.baseAddress {
          p.storeBytes(of: header.load(as: UInt8.self), as: UInt8.self)
        } else if headerCount > 1, let header = headers.baseAddress {
          memcpy(p, header, headerCount)
        }
        buffer.count = used &+ size
        if timestamp > maxTimestamp { maxTimestamp = timestamp }
        batchRecords = records &+ 1  // below 0x2000: the batch has room
        recordCount &+= 1
        return size
      }
    }
    return appendKeyedGenerally(key: key, keyCount: keyCount, value: value, valueCount: valueCount, headers: headers, timestamp: timestamp)
  }

  /// `appendKeyed`'s other records, through `append`: a call of its own, so that the usual
  /// record's code keeps its values in registers (inlined, it spilled them: 247 instructions a
  /// record).
  @inline(never)
  private func appendKeyedGenerally(
    key: UnsafeRawPointer, keyCount: Int, value: UnsafeRawPointer, valueCount: Int, headers: UnsafeRawBufferPointer,
    timestamp: Int64
  ) -> Int {
    append(
      key: UnsafeRawBufferPointer(start: key, count: keyCount), value: UnsafeRawBufferPointer(start: value, count: valueCount),
      headers: headers, timestamp: timestamp)
  }

  /// Copies a key of fewer than 64 bytes exactly: from 8 bytes on, 8-byte words with the last
  /// one overlapping the one before; below, 4-byte words the same way, then single bytes.
  @inline(__always)
  private static func copyKey(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
    if count >= 8 {
      var offset = 0
      while offset &+ 8 < count {
        destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
        offset &+= 8
      }
      let last = count &- 8
      destination.storeBytes(of: source.loadUnaligned(fromByteOffset: last, as: UInt64.self), toByteOffset: last, as: UInt64.self)
    } else if count >= 4 {
      destination.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
      let last = count &- 4
      destination.storeBytes(of: source.loadUnaligned(fromByteOffset: last, as: UInt32.self), toByteOffset: last, as: UInt32.self)
    } else {
      var offset = 0
      while offset < count {
        destination.storeBytes(of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
        offset &+= 1
      }
    }
  }

  /// A zig-zagged varint below 0x4000 as its bytes, the first in the low 8 bits.
  @inline(__always)
  private static func shortBytes(_ zigZagged: UInt64) -> UInt64 {
    zigZagged < 0x80 ? zigZagged : (zigZagged & 0x7f | 0x80) | (zigZagged &>> 7) &<< 8
  }

  /// Bytes of a zig-zagged varint below 0x4000.
  @inline(__always)
  private static func shortSize(_ zigZagged: UInt64) -> Int { zigZagged < 0x80 ? 1 : 2 }

  /// Writes a zig-zagged varint below 0x4000 with one 2-byte store; returns its size.
  @inline(__always)
  private static func writeShort(_ zigZagged: UInt64, to p: UnsafeMutableRawPointer) -> Int {
    let isLong = zigZagged >= 0x80
    let low = UInt16(truncatingIfNeeded: zigZagged & 0x7f) | (isLong ? 0x80 : 0)
    p.storeBytes(of: (low | UInt16(truncatingIfNeeded: zigZagged >> 7) &<< 8).littleEndian, as: UInt16.self)
    return isLong ? 2 : 1
  }

  /// Appends an owned record (tests, JSON input).
  package func append(_ record: Record) {
    let headers = EncodedHeaders(record.headers)
    _ = headers.bytes.withUnsafeBytes { headerBytes in
      withOptionalBytes(record.key) { key in
        withOptionalBytes(record.value) { value in
          append(key: key, value: value, headers: headerBytes, timestamp: record.timestamp)
        }
      }
    }
  }

  /// Makes room for `additional` bytes; a buffer that must grow (and so move) first has its
  /// queued batches compressed and stored, since the compressor reads them where they are.
  @inline(__always)
  private func reserve(_ additional: Int) {
    if buffer.count &+ additional > buffer.capacity {
      if !queuedBatches.isEmpty { storeQueuedBatches() }
      buffer.reserve(additional)
    }
  }

  private func openBatch(timestamp: Int64) {
    batchStart = buffer.count
    reserve(BatchLayout.headerSize)
    buffer.count += BatchLayout.headerSize
    batchRecords = 0
    baseTimestamp = timestamp
    maxTimestamp = timestamp
  }

  /// Writes the open batch's header and CRC; with a codec and a `compressor`, hands its records
  /// to the compressor instead and leaves the CRC to `finish()`. Nothing happens when no batch
  /// is open.
  package func sealBatch() { sealBatch(mayQueue: true) }

  private func sealBatch(mayQueue: Bool) {
    guard batchStart >= 0 else { return }
    var attributes: Int16 = 0
    var queued: BatchCompressor?
    if codec != .none {
      if mayQueue, let compressor { queued = compressor } else if compressRecords() { attributes |= Int16(codec.rawValue) }
    }
    let p = buffer.base + batchStart
    let size = buffer.count - batchStart
    var maxTime = maxTimestamp
    if let logAppendTime {
      attributes |= BatchLayout.logAppendTimeFlag
      maxTime = logAppendTime()
    }
    p.storeBigEndian(Int64(0), at: BatchLayout.baseOffset)
    p.storeBigEndian(Int32(size - BatchLayout.logOverhead), at: BatchLayout.batchLength)
    p.storeBigEndian(Int32(0), at: BatchLayout.partitionLeaderEpoch)
    p.storeBytes(of: BatchLayout.magicValue, toByteOffset: BatchLayout.magic, as: UInt8.self)
    p.storeBigEndian(attributes, at: BatchLayout.attributes)
    p.storeBigEndian(Int32(batchRecords - 1), at: BatchLayout.lastOffsetDelta)
    p.storeBigEndian(baseTimestamp, at: BatchLayout.baseTimestamp)
    p.storeBigEndian(maxTime, at: BatchLayout.maxTimestamp)
    p.storeBigEndian(Int64(-1), at: BatchLayout.producerId)
    p.storeBigEndian(Int16(-1), at: BatchLayout.producerEpoch)
    p.storeBigEndian(Int32(-1), at: BatchLayout.baseSequence)
    p.storeBigEndian(Int32(batchRecords), at: BatchLayout.recordCount)
    if let queued {
      let ticket = queued.submit(
        p + BatchLayout.headerSize, count: size - BatchLayout.headerSize, codec: codec)
      queuedBatches.append((batchStart, ticket))
    } else {
      Self.storeCRC(at: p, size: size)
    }
    batchStart = -1
    batchCount += 1
  }

  private static func storeCRC(at batch: UnsafeMutableRawPointer, size: Int) {
    let crc = CRC32C.checksum(
      UnsafeRawBufferPointer(start: batch + BatchLayout.attributes, count: size - BatchLayout.attributes))
    batch.storeBigEndian(crc, at: BatchLayout.crc)
  }

  /// Replaces the open batch's records section with its `codec` encoding; false (and the
  /// records left as they are) when that would not be smaller, or zlib found no memory.
  private func compressRecords() -> Bool {
    let start = batchStart + BatchLayout.headerSize
    let records = UnsafeRawBufferPointer(start: buffer.base + start, count: buffer.count - start)
    guard let compressed = try? codec.compress(records), compressed.count < records.count else { return false }
    buffer.count = start
    compressed.withUnsafeBytes { buffer.append($0) }
    return true
  }

  /// Seals the open batch and returns every batch in the buffer. The last batch joins the
  /// queue when batches before it wait there (so that this thread and the compressor's share
  /// them); alone, it is compressed here, with no thread involved.
  package func finish() -> UnsafeRawBufferPointer {
    sealBatch(mayQueue: !queuedBatches.isEmpty)
    if !queuedBatches.isEmpty { storeQueuedBatches() }
    return buffer.bytes
  }

  /// Once the compressor is done with them: replaces each queued batch's records section with
  /// its encoding where that is smaller (else, or when zlib found no memory, the records stay
  /// as they are), moves the batches together and checksums them. A batch only ever moves
  /// toward the buffer's start and the encodings are in buffers of their own, so nothing is
  /// overwritten before it is read. The open batch, if any, moves with them.
  private func storeQueuedBatches() {
    guard let compressor, let lastTicket = queuedBatches.last?.ticket else { return }
    compressor.settle(through: lastTicket)
    let end = batchStart >= 0 ? batchStart : buffer.count
    var cursor = queuedBatches[0].start
    for index in queuedBatches.indices {
      let start = queuedBatches[index].start
      let size = (index + 1 < queuedBatches.count ? queuedBatches[index + 1].start : end) - start
      let batch = buffer.base + cursor
      let header = buffer.base + start
      let stored = compressor.takeResult(queuedBatches[index].ticket) { encoding -> Int in
        guard let encoding, let encoded = encoding.baseAddress else {
          if cursor != start { memmove(batch, header, size) }
          return size
        }
        if cursor != start { memmove(batch, header, BatchLayout.headerSize) }
        memcpy(batch + BatchLayout.headerSize, encoded, encoding.count)
        return BatchLayout.headerSize + encoding.count
      }
      if stored != size {
        batch.storeBigEndian(Int32(stored - BatchLayout.logOverhead), at: BatchLayout.batchLength)
        let attributes = UnsafeRawPointer(batch).bigEndian(Int16.self, at: BatchLayout.attributes)
        batch.storeBigEndian(attributes | Int16(codec.rawValue), at: BatchLayout.attributes)
      }
      Self.storeCRC(at: batch, size: stored)
      cursor += stored
    }
    if batchStart >= 0 {
      memmove(buffer.base + cursor, buffer.base + batchStart, buffer.count - batchStart)
      buffer.count = cursor + (buffer.count - batchStart)
      batchStart = cursor
    } else {
      buffer.count = cursor
    }
    queuedBatches.removeAll(keepingCapacity: true)
  }

  /// Empties the buffer for the next run of batches.
  package func reset() {
    if !queuedBatches.isEmpty { storeQueuedBatches() }
    buffer.count = 0
    batchStart = -1
    batchRecords = 0
    recordCount = 0
    batchCount = 0
  }

  /// Encodes records into batches and returns their bytes (tests and small writes).
  package static func encode(_ records: [Record], maxBatchBytes: Int = Int(Int32.max)) -> [UInt8] {
    let encoder = BatchEncoder(maxBatchBytes: maxBatchBytes, capacity: 1024)
    for record in records { encoder.append(record) }
    return Array(encoder.finish())
  }
}

/// A header section as it sits in a record: the count varint, then each name and value.
package struct EncodedHeaders: Sendable {
  package let bytes: [UInt8]
  package var count: Int { bytes.count }

  package init(_ headers: [Header]) {
    var bytes = VarInt.encode(Int64(headers.count))
    for header in headers {
      bytes += VarInt.encode(Int64(header.key.count))
      bytes += header.key
      if let value = header.value {
        bytes += VarInt.encode(Int64(value.count))
        bytes += value
      } else {
        bytes += VarInt.encode(-1)
      }
    }
    self.bytes = bytes
  }
}

@inline(__always)
/// The bytes of an optional array as an optional buffer: nil stays nil (a null key or value),
/// and an empty array is an empty buffer, never nil.
package func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
  guard let bytes else { return try body(nil) }
  return try bytes.withUnsafeBytes { try body($0) }
}
