/// Writes a zstd backward bitstream (RFC 8878, 4.1): bits go into a 64-bit container from its
/// low end and out as little-endian bytes; `close` adds the end mark. The reader starts from
/// the last bit written, so encoders write their symbols last to first.
struct BitWriter {
  private var container: UInt64 = 0
  private var bitCount = 0
  private(set) var position: UnsafeMutablePointer<UInt8>
  private let start: UnsafeMutablePointer<UInt8>

  /// A writer at `start`, which has room for what will be written plus 8 bytes.
  init(_ start: UnsafeMutablePointer<UInt8>) {
    self.start = start
    position = start
  }

  /// Adds the low `count` bits of `value`; at most 63 bits may wait between flushes.
  @inline(__always) mutating func add(_ value: UInt64, _ count: Int) {
    container |= (value & ((1 &<< UInt64(count)) &- 1)) &<< UInt64(bitCount)
    bitCount &+= count
  }

  /// Writes the whole bytes waiting (one 8-byte store).
  @inline(__always) mutating func flush() {
    position.storeLE64(container)
    let bytes = bitCount >> 3
    position += bytes
    container = bytes == 8 ? 0 : container >> UInt64(bytes * 8)
    bitCount &= 7
  }

  /// Adds the end mark and writes everything; returns the stream's size in bytes.
  mutating func close() -> Int {
    add(1, 1)
    flush()
    return position - start + (bitCount > 0 ? 1 : 0)
  }
}
