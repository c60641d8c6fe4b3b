extension LZ4Block {
  /// The largest block `encode` takes: positions fit a 16-bit table entry and every offset
  /// fits the format's 16 bits.
  static let maximumEncodedBlock = 65536

  /// Entries in the encoder's match table: 2^13 16-bit positions, LZ4's own choice for
  /// blocks of at most 64 KiB.
  static let hashLog = 13

  /// A table `encode` can use, of `hashTableCount` entries.
  static var hashTableCount: Int { 1 << hashLog }

  /// LZ4's acceleration: after the first miss the search steps this many bytes, and every 64
  /// misses more make the step a byte longer. 3 rather than LZ4's default 1: with the 6-byte
  /// hash, the 8-byte backward extension and no ip - 2 entry, on the harness's log lines
  /// (logs100.txt) ratio 2.65 (the lz4 library 2.77 with independent blocks, 2.87 linked, its
  /// default) for 16% fewer instructions than acceleration 2 with a 4-byte hash (ratio 2.66);
  /// with the ip - 2 entry, 4 gave 2.57 and 6 gave 2.40.
  static let acceleration = 3

  /// The table slot of the 6 bytes at the start of `sequence` (an 8-byte little-endian load),
  /// as LZ4 hashes 5 bytes for its larger tables: a candidate that agrees in 6 bytes more often
  /// starts a long match, so the encoder writes fewer, longer sequences, and each costs about
  /// 100 instructions (kq-codec-bench's log lines at acceleration 2: ratio 2.60 → 2.71 for the
  /// same instruction count). The match itself is still checked on 4 bytes.
  @inline(__always) static func hash(_ sequence: UInt64) -> Int {
    Int(truncatingIfNeeded: ((sequence &<< 16) &* 889_523_592_379) >> UInt64(64 - hashLog))
  }

  /// Compresses `count` (at most 64 KiB) bytes at `source` into `destination`, which has
  /// room for `compressedBound(count) + encoderSlack` bytes; returns the bytes written.
  ///
  /// LZ4's fast algorithm (at `acceleration`): hash each 6-byte sequence, take the last
  /// position with the same hash as a candidate, and skip ahead faster the longer nothing
  /// matches. The last match starts at least 12 bytes before the end and the last 5 bytes are
  /// literals, as the block format requires of encoders.
  static func encode(
    _ source: UnsafePointer<UInt8>, count: Int, into destination: UnsafeMutablePointer<UInt8>,
    table: UnsafeMutablePointer<UInt16>
  ) -> Int {
    var op = destination
    var anchor = source
    let end = source + count
    let minimumMatch = 4
    if count >= 13 {
      let matchStartLimit = end - 12
      let matchEndLimit = end - 5
      table.update(repeating: 0, count: hashTableCount)
      var ip = source + 1
      var forwardHash = hash(ip.loadLE64())
      search: while true {
        var match: UnsafePointer<UInt8>
        var forwardIp = ip
        var step = 1
        var attempts = acceleration << 6
        repeat {
          let slot = forwardHash
          ip = forwardIp
          forwardIp += step
          step = attempts >> 6
          attempts &+= 1
          if forwardIp > matchStartLimit { break search }
          match = source + Int(table[slot])
          forwardHash = hash(forwardIp.loadLE64())
          table[slot] = UInt16(truncatingIfNeeded: ip - source)
        } while match.loadLE32() != ip.loadLE32()

        (ip, match) = extendBackward(ip, match, anchor: anchor, source: source)
        var token = op
        op += 1
        let literalCount = ip - anchor
        token.pointee = writeLength(literalCount, into: &op) << 4
        op.copy8(from: anchor)  // most runs are at most 8 bytes: no loop
        if literalCount > 8 { (op + 8).copyWild(from: anchor + 8, count: literalCount &- 8) }
        op += literalCount

        while true {
          op.storeLE16(UInt16(truncatingIfNeeded: ip - match))
          op += 2
          let matchEnd = matchLength(ip + minimumMatch, match + minimumMatch, limit: matchEndLimit)
          token.pointee |= writeLength((matchEnd - ip) &- minimumMatch, into: &op)
          ip = matchEnd
          anchor = ip
          if ip > matchStartLimit { break search }
          // LZ4 also enters ip - 2 in the table here; on the harness's log lines leaving it out
          // costs 6% fewer instructions and compresses better (ratio 2.63 → 2.65).
          let slot = hash(ip.loadLE64())
          match = source + Int(table[slot])
          table[slot] = UInt16(truncatingIfNeeded: ip - source)
          guard match.loadLE32() == ip.loadLE32(), match < ip else { break }
          token = op  // a match right after a match: a sequence with no literals
          token.pointee = 0
          op += 1
        }
        ip += 1
        forwardHash = hash(ip.loadLE64())
      }
    }
    let literalCount = end - anchor
    let token = op
    op += 1
    token.pointee = writeLength(literalCount, into: &op) << 4
    op.copyBytes(from: anchor, count: literalCount)
    op += literalCount
    return op - destination
  }

  /// Writes the part of `length` beyond the token's 15 as 255-bytes and a last byte; returns
  /// the token's nibble.
  @inline(__always)
  static func writeLength(_ length: Int, into op: inout UnsafeMutablePointer<UInt8>) -> UInt8 {
    guard length >= 15 else { return UInt8(truncatingIfNeeded: length) }
    var rest = length - 15
    while rest >= 255 {
      op.pointee = 255
      op += 1
      rest -= 255
    }
    op.pointee = UInt8(truncatingIfNeeded: rest)
    op += 1
    return 15
  }

  /// Moves a match found at `ip` back over the bytes before it that also agree, as far as the
  /// pending literals (`anchor`) and the block (`source`) allow: 8 bytes a step, then byte by
  /// byte. The search skips ahead, so a match is often found several bytes into its run.
  @inline(__always)
  static func extendBackward(
    _ start: UnsafePointer<UInt8>, _ candidate: UnsafePointer<UInt8>, anchor: UnsafePointer<UInt8>,
    source: UnsafePointer<UInt8>
  ) -> (UnsafePointer<UInt8>, UnsafePointer<UInt8>) {
    var ip = start
    var match = candidate
    var room = min(ip - anchor, match - source)
    while room >= 8 {
      let difference = (ip - 8).loadLE64() ^ (match - 8).loadLE64()
      if difference != 0 {
        let agreeing = difference.leadingZeroBitCount &>> 3
        return (ip - agreeing, match - agreeing)
      }
      ip -= 8
      match -= 8
      room &-= 8
    }
    while room > 0, ip[-1] == match[-1] {
      ip -= 1
      match -= 1
      room &-= 1
    }
    return (ip, match)
  }

  /// The end of the run where `ip` and `match` agree, stopping at `limit`.
  @inline(__always)
  static func matchLength(
    _ start: UnsafePointer<UInt8>, _ match: UnsafePointer<UInt8>, limit: UnsafePointer<UInt8>
  ) -> UnsafePointer<UInt8> {
    var ip = start
    var candidate = match
    let lastWord = limit - 8  // the last place an 8-byte compare may start
    while ip <= lastWord {
      let difference = ip.loadLE64() ^ candidate.loadLE64()
      if difference != 0 { return ip + difference.trailingZeroBitCount / 8 }
      ip += 8
      candidate += 8
    }
    while ip < limit, ip.pointee == candidate.pointee {
      ip += 1
      candidate += 1
    }
    return ip
  }
}

extension UnsafeMutablePointer<UInt8> {
  /// Copies `count` bytes from `source` in 8-byte steps, reading and writing up to 7 bytes
  /// past the end (8 when `count` is 0): literals end at least 12 bytes before the block's.
  @inline(__always) func copyWild(from source: UnsafePointer<UInt8>, count: Int) {
    var target = self
    var from = source
    let end = self + count
    repeat {
      target.copy8(from: from)
      target += 8
      from += 8
    } while target < end
  }
}
