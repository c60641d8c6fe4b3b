extension Snappy {
  /// Snappy compresses input in fragments of at most 64 KiB; copies never cross one.
  static let fragmentSize = 65536
  /// The largest hash table: 2^14 16-bit positions (snappy's own bound).
  static let maximumHashTableSize = 1 << 14
  /// Input bytes at the end of a fragment that the match finder does not start a hash at.
  static let inputMargin = 15

  /// A raw snappy stream of `count` bytes at `source`: the varint length, then each fragment.
  /// `destination` has room for `maximumCompressedLength(count)` bytes; returns bytes written.
  static func compressRaw(
    _ source: UnsafePointer<UInt8>, count: Int, into destination: UnsafeMutablePointer<UInt8>,
    table: UnsafeMutablePointer<UInt16>
  ) -> Int {
    var op = destination
    var length = UInt32(truncatingIfNeeded: count)
    while length >= 0x80 {
      op.pointee = UInt8(truncatingIfNeeded: length) | 0x80
      op += 1
      length >>= 7
    }
    op.pointee = UInt8(length)
    op += 1
    var position = 0
    while position < count {
      let fragment = min(fragmentSize, count - position)
      op = compressFragment(source + position, count: fragment, into: op, table: table)
      position += fragment
    }
    return op - destination
  }

  /// Snappy's algorithm: hash 4-byte sequences into a table sized to the fragment, take the
  /// last position with the same hash as a candidate, and look further apart (every 32
  /// misses, one byte more) where nothing matches; matches run to the fragment's end.
  static func compressFragment(
    _ source: UnsafePointer<UInt8>, count: Int, into destination: UnsafeMutablePointer<UInt8>,
    table: UnsafeMutablePointer<UInt16>
  ) -> UnsafeMutablePointer<UInt8> {
    var op = destination
    let end = source + count
    var nextEmit = source
    if count >= inputMargin + 1 {
      var tableSize = 256
      while tableSize < maximumHashTableSize, tableSize < count { tableSize <<= 1 }
      let shift = UInt32(32 - tableSize.trailingZeroBitCount)
      table.update(repeating: 0, count: tableSize)
      @inline(__always) func hash(_ bytes: UInt32) -> Int { Int((bytes &* 0x1E35_A7BD) >> shift) }

      let inputLimit = end - inputMargin
      var ip = source + 1
      var nextHash = hash(ip.loadLE32())
      search: while true {
        var skip = 32
        var nextIp = ip
        var candidate: UnsafePointer<UInt8>
        repeat {
          ip = nextIp
          let slot = nextHash
          let stride = skip >> 5
          skip += 1
          nextIp = ip + stride
          if nextIp > inputLimit { break search }
          nextHash = hash(nextIp.loadLE32())
          candidate = source + Int(table[slot])
          table[slot] = UInt16(truncatingIfNeeded: ip - source)
        } while ip.loadLE32() != candidate.loadLE32()

        op = emitLiteral(nextEmit, count: ip - nextEmit, into: op)
        var matchBytes: UInt64
        repeat {
          let matchStart = ip
          ip = LZ4Block.matchLength(ip + 4, candidate + 4, limit: end)
          op = emitCopy(offset: matchStart - candidate, count: ip - matchStart, into: op)
          nextEmit = ip
          if ip >= inputLimit { break search }
          matchBytes = (ip - 1).loadLE64()
          table[hash(UInt32(truncatingIfNeeded: matchBytes))] = UInt16(truncatingIfNeeded: ip - 1 - source)
          let slot = hash(UInt32(truncatingIfNeeded: matchBytes >> 8))
          candidate = source + Int(table[slot])
          table[slot] = UInt16(truncatingIfNeeded: ip - source)
        } while UInt32(truncatingIfNeeded: matchBytes >> 8) == candidate.loadLE32()
        nextHash = hash(UInt32(truncatingIfNeeded: matchBytes >> 16))
        ip += 1
      }
    }
    if nextEmit < end { op = emitLiteral(nextEmit, count: end - nextEmit, into: op) }
    return op
  }

  @inline(__always)
  static func emitLiteral(
    _ literals: UnsafePointer<UInt8>, count: Int, into destination: UnsafeMutablePointer<UInt8>
  ) -> UnsafeMutablePointer<UInt8> {
    var op = destination
    let stored = count - 1
    if stored < 60 {
      op.pointee = UInt8(truncatingIfNeeded: stored << 2)
      op += 1
    } else {
      let lengthBytes = (Int.bitWidth - stored.leadingZeroBitCount + 7) / 8
      op.pointee = UInt8(truncatingIfNeeded: (59 + lengthBytes) << 2)
      for index in 0..<lengthBytes { op[1 + index] = UInt8(truncatingIfNeeded: stored >> (8 * index)) }
      op += 1 + lengthBytes
    }
    op.copyBytes(from: literals, count: count)
    return op + count
  }

  /// Copies of at most 64 bytes each: 1-byte-offset form for 4–11 bytes within 2 KiB, else the
  /// 2-byte form (offsets within a fragment fit 16 bits).
  @inline(__always)
  static func emitCopy(offset: Int, count: Int, into destination: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
    var op = destination
    var remaining = count
    while remaining >= 68 {
      op = emitCopyAtMost64(offset: offset, count: 64, into: op)
      remaining -= 64
    }
    if remaining > 64 {
      op = emitCopyAtMost64(offset: offset, count: 60, into: op)
      remaining -= 60
    }
    return emitCopyAtMost64(offset: offset, count: remaining, into: op)
  }

  @inline(__always)
  static func emitCopyAtMost64(offset: Int, count: Int, into op: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
    if count < 12, offset < 2048 {
      op[0] = UInt8(truncatingIfNeeded: 1 | ((count - 4) << 2) | ((offset >> 8) << 5))
      op[1] = UInt8(truncatingIfNeeded: offset)
      return op + 2
    }
    op[0] = UInt8(truncatingIfNeeded: 2 | ((count - 1) << 2))
    op.storeLE16(UInt16(truncatingIfNeeded: offset), at: 1)
    return op + 3
  }
}
