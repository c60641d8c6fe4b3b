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
      op = try copyMatch(to: op, offset: offset, count: matchCount, end: destinationEnd)
    }
  }

  /// Copies `count` bytes from `offset` bytes back to `op` (the ranges may overlap: offset 1
  /// repeats one byte); returns the end of the copy.
  @inline(__always)
  static func copyMatch(
    to op: UnsafeMutablePointer<UInt8>, offset: Int, count: Int, end: UnsafeMutablePointer<UInt8>
  ) throws(Failure) -> UnsafeMutablePointer<UInt8> {
    let copyEnd = op + count
    var source = UnsafePointer(op - offset)
    var target = op
    guard end - op >= count &+ 32 else {
      guard count <= end - op else { throw .outputFull }
      while target < copyEnd {
        target.pointee = source.pointee
        target += 1
        source += 1
      }
      return copyEnd
    }
    if offset >= 16 {
      repeat {
        target.copy16(from: source)
        target += 16
        source += 16
      } while target < copyEnd
    } else if offset >= 8 {
      repeat {
        target.copy8(from: source)
        target += 8
        source += 8
      } while target < copyEnd
    } else {
      // A period shorter than 8: write the first `stride` bytes one by one, where stride is
      // the least multiple of the period that is at least 8, then copy 8 bytes at a time
      // from `stride` back, which is already written and repeats the same pattern.
      let stride = offset * ((8 + offset - 1) / offset)
      for index in 0..<stride {
        target[index] = source[index]
      }
      target += stride
      source = UnsafePointer(target - stride)
      while target < copyEnd {
        target.copy8(from: source)
        target += 8
        source += 8
      }
    }
    return copyEnd
  }
}
