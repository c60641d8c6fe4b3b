// Loads and stores at any byte address, little- or big-endian, for the codecs' hot loops: one
// unaligned machine load each, never a bounds check (callers check a whole run once).

extension UnsafePointer<UInt8> {
  @inline(__always) func loadLE16(at offset: Int = 0) -> UInt16 {
    UInt16(littleEndian: UnsafeRawPointer(self).loadUnaligned(fromByteOffset: offset, as: UInt16.self))
  }
  @inline(__always) func loadLE32(at offset: Int = 0) -> UInt32 {
    UInt32(littleEndian: UnsafeRawPointer(self).loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }
  @inline(__always) func loadLE64(at offset: Int = 0) -> UInt64 {
    UInt64(littleEndian: UnsafeRawPointer(self).loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }
  @inline(__always) func loadBE32(at offset: Int = 0) -> UInt32 {
    UInt32(bigEndian: UnsafeRawPointer(self).loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }
}

extension UnsafeMutablePointer<UInt8> {
  @inline(__always) func loadLE32(at offset: Int = 0) -> UInt32 {
    UInt32(littleEndian: UnsafeRawPointer(self).loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }
  @inline(__always) func loadLE64(at offset: Int = 0) -> UInt64 {
    UInt64(littleEndian: UnsafeRawPointer(self).loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }
  @inline(__always) func storeLE16(_ value: UInt16, at offset: Int = 0) {
    UnsafeMutableRawPointer(self).storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self)
  }
  @inline(__always) func storeLE32(_ value: UInt32, at offset: Int = 0) {
    UnsafeMutableRawPointer(self).storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
  }
  @inline(__always) func storeLE64(_ value: UInt64, at offset: Int = 0) {
    UnsafeMutableRawPointer(self).storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
  }
  @inline(__always) func storeBE32(_ value: UInt32, at offset: Int = 0) {
    UnsafeMutableRawPointer(self).storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
  }

  /// Copies 8 bytes from `source`; the two ranges may not overlap within those 8 bytes.
  @inline(__always) func copy8(from source: UnsafePointer<UInt8>) {
    UnsafeMutableRawPointer(self).storeBytes(
      of: UnsafeRawPointer(source).loadUnaligned(as: UInt64.self), as: UInt64.self)
  }

  /// Copies 16 bytes from `source`; the two ranges may not overlap within those 16 bytes.
  @inline(__always) func copy16(from source: UnsafePointer<UInt8>) {
    UnsafeMutableRawPointer(self).storeBytes(
      of: UnsafeRawPointer(source).loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
  }

  /// Copies `count` bytes from `source` (no overlap).
  @inline(__always) func copyBytes(from source: UnsafePointer<UInt8>, count: Int) {
    UnsafeMutableRawPointer(self).copyMemory(from: source, byteCount: count)
  }
}
