/// One LZ4 block (the LZ4 block format): a run of sequences, each a token, literals and a
/// match of (offset, length) into what is already decoded. The frame format wraps these.
enum LZ4Block {
  /// Why a block does not decode; offsets count from the block's first byte.
  enum Failure: Error {
    case truncated(offset: Int)
    case badMatchOffset(offset: Int)
    /// The block decodes to more than the room it was given.
    case outputFull
  }

  /// The most bytes a block of `count` input bytes compresses to (LZ4_compressBound).
  static func compressedBound(_ count: Int) -> Int { count + count / 255 + 16 }

  /// Extra bytes past `compressedBound` the encoder may scribble on (wild copies).
  static let encoderSlack = 32

  /// The fast loop runs while this much input is left: a token, 16 bytes of literals read
  /// whole and a match offset lie inside it.
  static let fastInputMargin = 32
  /// ... and this much room: 14 literals and 32 bytes of match copied whole fit inside it.
  static let fastOutputMargin = 64

  /// Decodes the block `source ..< sourceEnd` to `destination`, writing no byte at or past
  /// `destinationEnd`; matches may reach back as far as `lowest` (the frame's start when its
  /// blocks are linked, else the block's). Returns the end of what it wrote.
  ///
  /// Fast loop (LZ4's "shortcut"): while `fastInputMargin` bytes of input and `fastOutputMargin`
  /// of room remain, a short literal run (under 15) is one 16-byte copy and a match from 16 or
  /// more back moves 32 bytes a step, each writing past its end but never past `destinationEnd`;
  /// other matches go through `copyMatch`, and the last bytes of a block the exact way
  /// (`decodeTail`). Both loops report the same failures at the same offsets.
  static func decode(
    _ source: UnsafePointer<UInt8>, _ sourceEnd: UnsafePointer<UInt8>,
    into destination: UnsafeMutablePointer<UInt8>, _ destinationEnd: UnsafeMutablePointer<UInt8>,
    lowest: UnsafeMutablePointer<UInt8>
  ) throws(Failure) -> UnsafeMutablePointer<UInt8> {
    var ip = source
    var op = destination
    while sourceEnd - ip >= fastInputMargin && destinationEnd - op >= fastOutputMargin {
      let token = ip.pointee
      ip += 1
      var literalCount = Int(token &>> 4)
      if literalCount != 15 {
        // Within the margins: 16 bytes readable, and a match offset after the literals.
        op.copy16(from: ip)
        ip += literalCount
        op += literalCount
      } else {
        (literalCount, ip) = try longLength(from: ip, sourceEnd, source: source)
        guard literalCount <= sourceEnd - ip else { throw .truncated(offset: ip - source) }
        guard literalCount <= destinationEnd - op else { throw .outputFull }
        op.copyBytes(from: ip, count: literalCount)
        ip += literalCount
        op += literalCount
        if ip == sourceEnd { return op }  // the last sequence has literals only
        guard sourceEnd - ip >= 2 else { throw .truncated(offset: ip - source) }
      }
      let offset = Int(ip.loadLE16())
      // 1 ... op - lowest in one unsigned compare (offset 0 wraps to the largest).
      guard UInt(bitPattern: offset &- 1) < UInt(bitPattern: op - lowest) else {
        throw .badMatchOffset(offset: ip - source)
      }
      ip += 2
      var matchCount = Int(token & 15)
      if matchCount == 15 {
        if ip < sourceEnd && ip.pointee != 255 {  // one more byte: a match of 19 to 273
          matchCount &+= Int(ip.pointee)
          ip += 1
        } else {
          let (rest, next) = try longLength(from: ip, sourceEnd, source: source)
          matchCount = rest
          ip = next
        }
      }
      matchCount &+= 4
      // From 16 back or more, 32 bytes a step, up to 31 past the match's end: in the room.
      if offset >= 16 && (destinationEnd - op) &- matchCount >= 32 {
        let matchEnd = op + matchCount
        var target = op
        var match = UnsafePointer(op - offset)
        repeat {
          target.copy16(from: match)
          (target + 16).copy16(from: match + 16)  // in program order: may read what the first wrote
          target += 32
          match += 32
        } while target < matchEnd
        op = matchEnd
        continue
      }
      guard matchCount <= destinationEnd - op else { throw .outputFull }
      op = op.copyMatch(offset: offset, count: matchCount, end: destinationEnd)
    }
    return try decodeTail(from: ip, sourceEnd, to: op, destinationEnd, source: source, lowest: lowest)
  }

  /// A length field of 15 and the bytes from `start` on, each added until one is below 255,
  /// and where the bytes end. Never near `Int.max`: that takes 2^55 bytes of 255s.
  @inline(never)
  static func longLength(
    from start: UnsafePointer<UInt8>, _ sourceEnd: UnsafePointer<UInt8>, source: UnsafePointer<UInt8>
  ) throws(Failure) -> (Int, UnsafePointer<UInt8>) {
    var ip = start
    var length = 15
    var byte: UInt8
    repeat {
      guard ip < sourceEnd else { throw .truncated(offset: ip - source) }
      byte = ip.pointee
      ip += 1
      length &+= Int(byte)
    } while byte == 255
    return (length, ip)
  }

  /// The exact decoder, for the last bytes of a block (where wild copies would cross either
  /// end): literals are copied by their length, matches by `copyMatch`'s guarded steps.
  @inline(never)
  static func decodeTail(
    from start: UnsafePointer<UInt8>, _ sourceEnd: UnsafePointer<UInt8>,
    to output: UnsafeMutablePointer<UInt8>, _ destinationEnd: UnsafeMutablePointer<UInt8>,
    source: UnsafePointer<UInt8>, lowest: UnsafeMutablePointer<UInt8>
  ) throws(Failure) -> UnsafeMutablePointer<UInt8> {
    var ip = start
    var op = output
    while true {
      guard ip < sourceEnd else { throw .truncated(offset: ip - source) }
      let token = ip.pointee
      ip += 1

      // Literals.
      var literalCount = Int(token >> 4)
      if literalCount == 15 { (literalCount, ip) = try longLength(from: ip, sourceEnd, source: source) }
      guard literalCount <= sourceEnd - ip else { throw .truncated(offset: ip - source) }
      guard literalCount <= destinationEnd - op else { throw .outputFull }
      op.copyBytes(from: ip, count: literalCount)
      ip += literalCount
      op += literalCount
      if ip == sourceEnd { return op }  // the last sequence has literals only

      // Match.
      guard sourceEnd - ip >= 2 else { throw .truncated(offset: ip - source) }
      let offset = Int(ip.loadLE16())
      guard offset != 0, offset <= op - lowest else { throw .badMatchOffset(offset: ip - source) }
      ip += 2
      var matchCount = Int(token & 15)
      if matchCount == 15 { (matchCount, ip) = try longLength(from: ip, sourceEnd, source: source) }
      matchCount &+= 4
      guard matchCount <= destinationEnd - op else { throw .outputFull }
      op = op.copyMatch(offset: offset, count: matchCount, end: destinationEnd)
    }
  }
}
