import Foundation
import KQStorage
import KQLog

/// Damages files the way crashes and bad disks do.
package enum ByteSurgery {
  package static func read(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  package static func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  /// Inverts the bits of one byte.
  package static func flipByte(_ path: String, at offset: Int) throws {
    var bytes = try read(path)
    bytes[offset] ^= 0xFF
    try write(bytes, to: path)
  }

  /// Keeps only the first `length` bytes.
  package static func truncate(_ path: String, to length: Int) throws {
    guard Foundation.truncate(path, off_t(length)) == 0 else { throw POSIXError(.EIO) }
  }

  /// Overwrites bytes from `offset` on with `garbage`, extending the file if needed.
  package static func overwrite(_ path: String, at offset: Int, with garbage: [UInt8]) throws {
    var bytes = try read(path)
    if bytes.count < offset + garbage.count { bytes += [UInt8](repeating: 0, count: offset + garbage.count - bytes.count) }
    bytes.replaceSubrange(offset..<(offset + garbage.count), with: garbage)
    try write(bytes, to: path)
  }

  /// Makes record `index` of the batch at `position` malformed, as a buggy writer would,
  /// leaving its CRC right: the record's key length is set to 63 bytes, past the record's
  /// end (records under 63 bytes, one-byte lengths), and the batch's CRC is recomputed.
  package static func malformRecord(_ path: String, batchAt position: Int, record index: Int) throws {
    try editRecord(path, batchAt: position, record: index) { raw, start, end in
      guard let base = raw.baseAddress else { throw POSIXError(.EINVAL) }
      var field = start
      // length, attributes (1 byte), timestamp delta, offset delta: then the key length.
      guard VarInt.skip(base, at: &field, end: end) else { throw POSIXError(.EINVAL) }
      field += 1
      guard VarInt.skip(base, at: &field, end: end), VarInt.skip(base, at: &field, end: end) else { throw POSIXError(.EINVAL) }
      raw[field] = UInt8(VarInt.zigZag(63))
    }
  }

  /// Sets the header count of record `index` (one without headers: its last byte) in the
  /// uncompressed batch at `position` to 5, leaving its CRC right: headers that run past the
  /// record, as a faulty writer could leave them.
  package static func breakHeaderCount(_ path: String, batchAt position: Int, record index: Int) throws {
    try editRecord(path, batchAt: position, record: index) { raw, start, _ in
      guard let base = raw.baseAddress else { throw POSIXError(.EINVAL) }
      var next = start
      guard let length = VarInt.read(base, at: &next, end: raw.count) else { throw POSIXError(.EINVAL) }
      raw[next + Int(length) - 1] = UInt8(VarInt.zigZag(5))
    }
  }

  /// Calls `edit` with the file's bytes, where record `index` of the uncompressed batch at
  /// `position` starts and where the batch ends, then stores the batch's CRC anew.
  private static func editRecord(
    _ path: String, batchAt position: Int, record index: Int,
    _ edit: (UnsafeMutableRawBufferPointer, _ recordStart: Int, _ batchEnd: Int) throws -> Void
  ) throws {
    var bytes = try read(path)
    let batchLength = bytes[(position + BatchLayout.batchLength)..<(position + BatchLayout.batchLength + 4)]
      .reduce(0) { $0 << 8 | Int($1) }
    let end = position + BatchLayout.logOverhead + batchLength
    try bytes.withUnsafeMutableBytes { raw in
      guard let base = raw.baseAddress else { throw POSIXError(.EINVAL) }
      var start = position + BatchLayout.headerSize
      for _ in 0..<index {
        guard let length = VarInt.read(base, at: &start, end: end) else { throw POSIXError(.EINVAL) }
        start += Int(length)
      }
      try edit(raw, start, end)
      let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(position + BatchLayout.attributes)..<end]))
      (base + position).storeBigEndian(crc, at: BatchLayout.crc)
    }
    try write(bytes, to: path)
  }

  /// Writes `bytes` at `offset` of the batch starting at `batch`, then stores the batch's CRC
  /// anew: damage that a bad writer, not a bad disk, makes (the checksum holds).
  package static func rewriteBatch(_ path: String, batch: Int, at offset: Int, with bytes: [UInt8]) throws {
    var file = try read(path)
    file.replaceSubrange((batch + offset)..<(batch + offset + bytes.count), with: bytes)
    let length = file[(batch + 8)..<(batch + 12)].reduce(0) { $0 << 8 | Int($1) }
    let crc = CRC32C.checksum(Array(file[(batch + BatchLayout.attributes)..<(batch + 12 + length)]))
    file.replaceSubrange((batch + BatchLayout.crc)..<(batch + BatchLayout.crc + 4), with: bigEndian(crc))
    try write(file, to: path)
  }

  /// The bytes of an integer, most significant first, as kq's files hold them.
  package static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
  }

  package static func size(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
  }
}
