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

  /// Decodes the block `source ..< sourceEnd` to `destination`, writing no byte at or past
  /// `destinationEnd`; matches may reach back as far as `lowest` (the frame's start when its
  /// blocks are linked, else the block's). Returns the end of what it wrote.
  ///
  /// Fast path: while 32 bytes of room remain, literals and matches move in 16-byte (or, for
  /// matches closer than 16 bytes, 8-byte) steps that may write past their end but never past
  /// `destinationEnd`; near the end, exact copies.
  static func decode(
    _ source: UnsafePointer<UInt8>, _ sourceEnd: UnsafePointer<UInt8>,
    into destination: UnsafeMutablePointer<UInt8>, _ destinationEnd: UnsafeMutablePointer<UInt8>,
    lowest: UnsafeMutablePointer<UInt8>
  ) throws(Failure) -> UnsafeMutablePointer<UInt8> {
    var ip = source
    var op = destination
    while true {
      guard ip < sourceEnd else { throw .truncated(offset: ip - source) }
      let token = ip.pointee
      ip += 1

      // Literals.
      var literalCount = Int(token >> 4)
      if literalCount != 15, sourceEnd - ip >= 18, destinationEnd - op >= 16 {
        op.copy16(from: ip)  // the common short run: one wild copy
      } else {
        if literalCount == 15 {
          var byte: UInt8
          repeat {
            guard ip < sourceEnd else { throw .truncated(offset: ip - source) }
            byte = ip.pointee
            ip += 1
            literalCount += Int(byte)
          } while byte == 255
        }
        guard literalCount <= sourceEnd - ip else { throw .truncated(offset: ip - source) }
        guard literalCount <= destinationEnd - op else { throw .outputFull }
        op.copyBytes(from: ip, count: literalCount)
      }
      ip += literalCount
      op += literalCount
      if ip == sourceEnd { return op }  // the last sequence has literals only

      // Match.
      guard sourceEnd - ip >= 2 else { throw .truncated(offset: ip - source) }
      let offset = Int(ip.loadLE16())
      guard offset != 0, offset <= op - lowest else { throw .badMatchOffset(offset: ip - source) }
      ip += 2
      var matchCount = Int(token & 15)
      if matchCount == 15 {
        var byte: UInt8
        repeat {
          guard ip < sourceEnd else { throw .truncated(offset: ip - source) }
          byte = ip.pointee
          ip += 1
          matchCount += Int(byte)
        } while byte == 255
      }
      matchCount += 4
      guard matchCount <= destinationEnd - op else { throw .outputFull }
      op = op.copyMatch(offset: offset, count: matchCount, end: destinationEnd)
    }
  }
}
