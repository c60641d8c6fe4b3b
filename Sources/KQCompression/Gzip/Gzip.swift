import CKQZlib

/// gzip (RFC 1952) through the system zlib, as Kafka's Java client writes it
/// (`GZIPOutputStream`: one member, deflate at the default level 6). Decoding reads one or
/// more members back to back (as `GZIPInputStream` does); anything after the last member, a
/// zlib or raw deflate stream, and bad CRC-32 or length trailers are errors.
enum Gzip {
  /// zlib's default level, and the default of Kafka's `compression.gzip.level`.
  static let defaultLevel: Int32 = 6
  /// zlib counts input and output in 32-bit `uInt`s: longer buffers go in pieces.
  static let maximumPiece = 1 << 30
  /// Deflate's largest expansion: 258 bytes from a 2-bit code, about 1032 to 1.
  static let maximumExpansion = 1032

  /// The output's first size: the trailer's stated size, within what `count` input bytes can
  /// expand to and the limit.
  static func initialCapacity(count: Int, stated: Int, limit: Int) -> Int {
    let expandable = count < Int.max / maximumExpansion ? count * maximumExpansion : Int.max
    return min(limit, max(64, min(stated, expandable)))
  }

  static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel) throws(CompressionError) -> [UInt8] {
    var stream = z_stream()
    let status = kq_deflate_init_gzip(&stream, level)
    guard status == Z_OK else { throw .zlibFailed(code: status) }
    defer { deflateEnd(&stream) }
    let capacity = Int(deflateBound(&stream, uLong(input.count)))
    var remaining = input.count
    stream.next_in = UnsafeMutablePointer(mutating: input.bytePointer)
    return try makeBytes(capacity: capacity) { (output) throws(CompressionError) in
      stream.next_out = output
      stream.avail_out = uInt(min(capacity, maximumPiece))
      var room = capacity - Int(stream.avail_out)
      while true {
        let piece = min(remaining, maximumPiece)
        stream.avail_in = uInt(piece)
        remaining -= piece
        let flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH
        var result: Int32
        repeat {
          if stream.avail_out == 0 {
            let more = min(room, maximumPiece)
            stream.avail_out = uInt(more)
            room -= more
          }
          result = deflate(&stream, flush)
        } while result == Z_OK && (stream.avail_in > 0 || flush == Z_FINISH)
        if result == Z_STREAM_END { return Int(stream.total_out) }
        guard result == Z_OK || result == Z_BUF_ERROR, remaining > 0 else { throw .zlibFailed(code: result) }
      }
    }
  }

  /// The members' content, at most `limit` bytes. The output starts at the size the last
  /// member's trailer states (its ISIZE, the size modulo 2^32), but no more than deflate can
  /// expand the input to (1032:1), and doubles, up to the limit, where the stream holds more.
  static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
    var stream = z_stream()
    let status = kq_inflate_init_gzip(&stream)
    guard status == Z_OK else { throw .zlibFailed(code: status) }
    defer { inflateEnd(&stream) }
    let count = input.count
    let base = input.bytePointer
    let stated = count >= 18 ? Int(base.loadLE32(at: count - 4)) : 0
    var output = [UInt8](repeating: 0, count: initialCapacity(count: count, stated: stated, limit: limit))
    var produced = 0
    var consumed = 0
    var scratch: UInt8 = 0
    while true {
      if produced == output.count, output.count < limit {
        output.append(contentsOf: repeatElement(0, count: min(limit - output.count, max(output.count, 4096))))
      }
      // At the limit, inflate into one scratch byte: the trailer may still be to check, and a
      // byte written there is one past the limit.
      let isAtLimit = produced == output.count
      let inputPiece = min(count - consumed, maximumPiece)
      let outputPiece = isAtLimit ? 1 : min(output.count - produced, maximumPiece)
      let (result, read, written) = output.withUnsafeMutableBufferPointer { buffer in
        withUnsafeMutablePointer(to: &scratch) { scratch in
          stream.next_in = UnsafeMutablePointer(mutating: base + consumed)
          stream.avail_in = uInt(inputPiece)
          stream.next_out = isAtLimit ? scratch : buffer.baseAddress.map { $0 + produced }
          stream.avail_out = uInt(outputPiece)
          let result = inflate(&stream, Z_NO_FLUSH)
          return (result, inputPiece - Int(stream.avail_in), outputPiece - Int(stream.avail_out))
        }
      }
      guard !isAtLimit || written == 0 else { throw .outputLimitExceeded(.gzip, limit: limit) }
      consumed += read
      produced += written
      switch result {
      case Z_STREAM_END:
        guard consumed < count else {
          output.removeLast(output.count - produced)
          return output
        }
        guard count - consumed >= 2, base[consumed] == 0x1F, base[consumed + 1] == 0x8B else {
          throw .malformed(.gzip, .trailingBytes, position: consumed)
        }
        inflateReset(&stream)  // another member follows
      case Z_OK:
        guard read > 0 || written > 0 else { throw .truncated(.gzip, position: consumed) }
      case Z_BUF_ERROR:
        // No progress: with room to write, the input ended early.
        guard !isAtLimit, produced == output.count else { throw .truncated(.gzip, position: consumed) }
      case Z_DATA_ERROR, Z_NEED_DICT:
        let message = stream.msg.map { String(cString: $0) } ?? "invalid deflate data"
        throw .malformed(.gzip, .deflate(message), position: consumed)
      default:
        throw .zlibFailed(code: result)
      }
    }
  }
}
