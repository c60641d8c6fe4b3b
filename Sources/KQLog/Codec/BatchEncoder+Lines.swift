import Glibc

/// The common input of `kq produce` and of `kq pipe`'s command, lines (or NUL-terminated
/// records) without keys into one partition, encoded by one loop in this module: nothing per
/// record looks at flags, partitions or encoders, and the usual record is written in one pass
/// with the batch's state in registers (`LineRun`); any other goes through `append`. Same
/// bytes as `append` either way.
extension BatchEncoder {
  /// What `appendLines` did: where it stopped in the input, the records it appended and the
  /// bytes the buffer grew by.
  package struct AppendedLines {
    package var end: Int
    package var records: Int
    package var bytes: Int

    package init(end: Int, records: Int, bytes: Int) {
      self.end = end
      self.records = records
      self.bytes = bytes
    }
  }

  /// Appends every terminated line of `base[start..<count]` as a record with no key, the line
  /// as its value (the terminator left out) and `headers`, at `timestamp`. Stops at the first
  /// unterminated line, before the first line longer than `largestValue` (its caller decides
  /// whether it may be stored) and, when `stopsBeforeBatch`, before the first line that opens
  /// a batch (`opensBatch`), so that a caller can give such a record headers of its own.
  @inline(__always)
  package func appendLines(
    _ base: UnsafeRawPointer, from start: Int, count: Int, delimiter: Int32, headers: UnsafeRawBufferPointer,
    timestamp: Int64, largestValue: Int, stopsBeforeBatch: Bool
  ) -> AppendedLines {
    var lineStart = start
    var records = 0
    var bytes = 0
    let shape = LineShape(headers: headers, largestValue: largestValue, stopsBeforeBatch: stopsBeforeBatch)
    var run = LineRun(loading: self, shape: shape, timestamp: timestamp)
    while lineStart < count, let found = memchr(base + lineStart, delimiter, count &- lineStart) {
      let line = base + lineStart
      let length = UnsafeRawPointer(found) - line
      if run.takes(length, shape: shape) {
        run.append(line, count: length, shape: shape)
        lineStart = lineStart &+ length &+ 1
        continue
      }
      run.store(into: self, timestamp: timestamp, records: &records, bytes: &bytes)
      guard length <= largestValue else { break }
      if stopsBeforeBatch && opensBatch(keyCount: -1, valueCount: length, headersCount: headers.count) { break }
      bytes &+= appendLineGenerally(line, count: length, headers: headers, timestamp: timestamp)
      records &+= 1
      lineStart = lineStart &+ length &+ 1
      run = LineRun(loading: self, shape: shape, timestamp: timestamp)
    }
    run.store(into: self, timestamp: timestamp, records: &records, bytes: &bytes)
    return AppendedLines(end: lineStart, records: records, bytes: bytes)
  }

  /// `appendLines`'s other records, through `append`: a call of its own, so that the usual
  /// record's loop keeps its values in registers.
  @inline(never)
  private func appendLineGenerally(_ line: UnsafeRawPointer, count: Int, headers: UnsafeRawBufferPointer, timestamp: Int64)
    -> Int
  {
    append(key: nil, value: UnsafeRawBufferPointer(start: line, count: count), headers: headers, timestamp: timestamp)
  }

  /// Whether a record of these sizes would open a batch (none is open, or it might not fit in
  /// the open one): a caller that must know which record opens a batch seals first then.
  @inline(__always)
  package func opensBatch(keyCount: Int, valueCount: Int, headersCount: Int) -> Bool {
    let open = openBatchBytes
    return open == 0
      || open + Self.recordBytesBound(keyCount: keyCount, valueCount: valueCount, headersCount: headersCount) > maxBatchBytes
  }
}

/// What is the same for every line of one `appendLines` call.
struct LineShape {
  let headers: UnsafeRawBufferPointer
  let headerCount: Int
  /// The header section's byte when it is one (a zero count, most records).
  let headerByte: UInt8
  /// The longest value the one-pass path writes: at most `largestValue`, and short enough for
  /// the value's and the record's lengths to take 2 varint bytes each.
  let largestValue: Int
  /// Bytes a record may take besides its value, at most: what must be left in the batch for
  /// the one-pass path to write it. With `stopsBeforeBatch`, `opensBatch`'s bound (a record
  /// that might not fit is left to the caller); else the most the fields can take (a record
  /// that might not fit goes through `append`, which seals the batch only if it does not).
  let slack: Int

  @inline(__always)
  init(headers: UnsafeRawBufferPointer, largestValue: Int, stopsBeforeBatch: Bool) {
    self.headers = headers
    headerCount = headers.count
    headerByte = headerCount == 1 ? headers.load(as: UInt8.self) : 0
    // The record's length is 1 + timestamp delta (2) + offset delta (3) + key length (1) +
    // value length (2) + value + headers: below 0x2000 with the value at most this.
    self.largestValue = min(largestValue, 0x1fff &- 9 &- headerCount)
    slack =
      stopsBeforeBatch
      ? BatchEncoder.recordBytesBound(keyCount: -1, valueCount: 0, headersCount: headerCount) : 11 &+ headerCount
  }
}

/// The open batch's state during `appendLines`, in registers: the encoder's fields are read
/// once into it and stored back once, when a record goes another way or the call ends.
struct LineRun {
  let out: UnsafeMutableRawPointer
  var used: Int
  var usedBefore: Int
  var batchRecords: Int
  var batchRecordsBefore: Int
  /// `used` plus a line's length at most this: the record fits in the batch (and, with
  /// `stopsBeforeBatch`, in `opensBatch`'s bound) and in the buffer, with room for the 8-byte
  /// stores, and the batch has fewer than 2^20 records (offset deltas of 3 varint bytes at
  /// most). `Int.min` when no batch is open or the timestamp delta is long.
  let end: Int
  /// The attributes (0) and the timestamp delta's varint, the same for every record of the
  /// batch here: `prefixSize` bytes from the low end.
  let prefix: UInt64
  let prefixSize: Int
  /// Bytes of every record besides the value and its length, the offset field and the length
  /// prefix: attributes, timestamp delta and headers.
  let fixedBody: Int
  /// The offset delta's varint and the key length's byte after it (-1: zig-zag 1), from the
  /// low end: `offsetFieldSize` bytes, `offsetFieldBits` bits. Kept from record to record (+2
  /// to the zig-zagged delta in its first byte) and made again only when that byte carries.
  var offsetField: UInt64 = 0
  var offsetFieldBits: UInt64 = 0
  var offsetFieldSize = 0

  @inline(__always)
  init(loading encoder: BatchEncoder, shape: LineShape, timestamp: Int64) {
    let buffer = encoder.buffer
    out = buffer.base
    used = buffer.count
    usedBefore = used
    batchRecords = encoder.batchRecords
    batchRecordsBefore = batchRecords
    let delta = VarInt.zigZag(timestamp &- encoder.baseTimestamp)
    let start = encoder.batchStart
    let recordsLeft = 0x10_0000 &- batchRecords
    if start >= 0 && delta < 0x4000 && recordsLeft > 0 {
      let (deltaBytes, deltaSize) = Self.varint(delta)
      prefix = deltaBytes &<< 8
      prefixSize = 1 &+ deltaSize
      fixedBody = prefixSize &+ shape.headerCount
      // A record takes at least 6 bytes, so `used` stays below `used` + 6 * `recordsLeft`
      // while fewer than `recordsLeft` records are added.
      end = min(
        start &+ encoder.maxBatchBytes &- shape.slack, buffer.capacity &- 16 &- shape.headerCount,
        used &+ 6 &* recordsLeft &- 1)
      makeOffsetField()
    } else {
      prefix = 0
      prefixSize = 0
      fixedBody = 0
      end = Int.min
    }
  }

  /// Whether a line of `length` bytes is written here.
  @inline(__always)
  func takes(_ length: Int, shape: LineShape) -> Bool {
    length <= shape.largestValue && used &+ length <= end
  }

  /// Writes a record with no key and `line` as its value: the length, attributes, timestamp
  /// delta, offset delta, key length and value length in two 8-byte stores, then the value and
  /// the headers.
  @inline(__always)
  mutating func append(_ line: UnsafeRawPointer, count length: Int, shape: LineShape) {
    let (valueBytes, valueSize) = Self.shortVarint(UInt64(truncatingIfNeeded: length) &<< 1)
    let body = fixedBody &+ offsetFieldSize &+ valueSize &+ length
    let (bodyBytes, bodySize) = Self.shortVarint(UInt64(truncatingIfNeeded: body) &<< 1)
    var p = out + used
    p.storeBytes(of: (bodyBytes | prefix &<< UInt64(truncatingIfNeeded: bodySize &<< 3)).littleEndian, as: UInt64.self)
    p += bodySize &+ prefixSize
    p.storeBytes(of: (offsetField | valueBytes &<< offsetFieldBits).littleEndian, as: UInt64.self)
    p += offsetFieldSize &+ valueSize
    copySmall(to: p, from: line, count: length)
    p += length
    if shape.headerCount == 1 {
      p.storeBytes(of: shape.headerByte, as: UInt8.self)
    } else if shape.headerCount > 1, let header = shape.headers.baseAddress {
      memcpy(p, header, shape.headerCount)
    }
    used &+= bodySize &+ body
    batchRecords &+= 1
    // The zig-zagged delta is even: its first byte's 7 bits take 2 more unless they are 0x7e.
    if offsetField & 0x7e != 0x7e {
      offsetField &+= 2
    } else {
      makeOffsetField()
    }
  }

  @inline(__always)
  mutating func makeOffsetField() {
    (offsetField, offsetFieldSize) = Self.offsetField(records: batchRecords)
    offsetFieldBits = UInt64(truncatingIfNeeded: offsetFieldSize &<< 3)
  }

  /// The offset field of a batch's record after `records` others, and its size. Not inlined:
  /// inlined, the loop kept multiples of the record count up to date for it on every record.
  @inline(never)
  static func offsetField(records: Int) -> (field: UInt64, size: Int) {
    let (offsetBytes, offsetSize) = varint(UInt64(truncatingIfNeeded: records) &<< 1)
    return (offsetBytes | 1 &<< UInt64(truncatingIfNeeded: offsetSize &<< 3), offsetSize &+ 1)
  }

  /// Stores the state back into `encoder`; adds the records and bytes written since it was
  /// loaded or last stored.
  @inline(__always)
  mutating func store(into encoder: BatchEncoder, timestamp: Int64, records: inout Int, bytes: inout Int) {
    guard batchRecords != batchRecordsBefore else { return }
    encoder.buffer.count = used
    encoder.batchRecords = batchRecords
    encoder.recordCount &+= batchRecords &- batchRecordsBefore
    if timestamp > encoder.maxTimestamp { encoder.maxTimestamp = timestamp }
    records &+= batchRecords &- batchRecordsBefore
    bytes &+= used &- usedBefore
    usedBefore = used
    batchRecordsBefore = batchRecords
  }

  /// A zig-zagged varint below 0x4000 as its bytes (the first in the low 8 bits) and its size,
  /// without a branch: past 0x7f, the bits above the first 7 move up one (added once more)
  /// and the first byte gets its continuation bit.
  @inline(__always)
  static func shortVarint(_ zigZagged: UInt64) -> (bytes: UInt64, size: Int) {
    let high = zigZagged & ~0x7f
    let isLong: UInt64 = high != 0 ? 1 : 0
    return (zigZagged &+ high &+ isLong &<< 7, 1 &+ Int(truncatingIfNeeded: isLong))
  }

  /// A zig-zagged varint below 2^21 as its bytes (the first in the low 8 bits) and its size.
  @inline(__always)
  static func varint(_ zigZagged: UInt64) -> (bytes: UInt64, size: Int) {
    if zigZagged < 0x80 { return (zigZagged, 1) }
    let low = zigZagged & 0x7f | 0x80
    if zigZagged < 0x4000 { return (low | (zigZagged &>> 7) &<< 8, 2) }
    return (low | ((zigZagged &>> 7) & 0x7f | 0x80) &<< 8 | (zigZagged &>> 14) &<< 16, 3)
  }
}
