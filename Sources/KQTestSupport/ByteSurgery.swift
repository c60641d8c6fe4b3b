import Foundation

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

  package static func size(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
  }
}
