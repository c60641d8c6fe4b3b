/// Why a compressed stream could not be decoded. The caller adds the topic, partition and
/// offset of the batch; `position` is the byte of the compressed input where the problem is.
package enum CompressionError: Error, Equatable, Sendable {
  /// A batch's attributes name codec 5, 6 or 7.
  case unknownCodec(Int)
  /// The stream decodes (or declares that it decodes) to more than `limit` bytes.
  case outputLimitExceeded(CompressionCodec, limit: Int)
  /// The input ends inside a header, block or sequence that starts before `position`.
  case truncated(CompressionCodec, position: Int)
  /// A checksum stored in the stream differs from the one computed over its bytes.
  case checksumMismatch(CompressionCodec, Checksum, stored: UInt32, computed: UInt32)
  /// The stream breaks a rule of its format at `position`.
  case malformed(CompressionCodec, Malformation, position: Int)
  /// The stream is well formed but needs something kq does not provide.
  case unsupported(CompressionCodec, Feature)
  /// The system zlib failed in a way that is not about the input (out of memory, say).
  case zlibFailed(code: Int32)

  /// The checksums a compressed stream may carry.
  package enum Checksum: Sendable, Equatable {
    /// LZ4 frame descriptor (HC byte), right or as Kafka 0.8 wrote it (KAFKA-3160).
    case lz4Header
    /// xxHash32 of one LZ4 block's stored bytes.
    case lz4Block
    /// xxHash32 of an LZ4 frame's content.
    case lz4Content
    /// The low 32 bits of xxHash64 of a zstd frame's content.
    case zstdContent
  }

  /// The rule a malformed stream breaks.
  package enum Malformation: Sendable, Equatable {
    /// Not the magic number of the format (nor, for snappy, a raw stream).
    case badMagic
    /// A bit the format reserves is set, or a version field is not one kq knows.
    case reservedBitSet
    /// A block size (or a frame's block maximum) the format does not allow.
    case badBlockSize
    /// A match that reaches before the start of the output (or of its independent block),
    /// or has offset 0.
    case badMatchOffset
    /// The stream declares one decoded size and decodes to another.
    case sizeMismatch(declared: Int, decoded: Int)
    /// A block decodes to more than the frame allows for one block.
    case blockTooLarge
    /// A variable-length number that is too long or too large.
    case badVarint
    /// Bytes after the end of the last frame or stream.
    case trailingBytes
    /// A reserved or unknown block, literals or sequence type.
    case badBlockType
    /// A Huffman or FSE table description that is not valid.
    case badEntropyTable
    /// A bitstream that does not end where the format says (padding, overread, leftovers).
    case badBitstream
    /// A sequence that copies more literals than the block has, or literals left over that
    /// do not fit.
    case badSequence
    /// zlib's description of a deflate stream it cannot inflate.
    case deflate(String)
  }

  /// What a stream may need that kq does not provide.
  package enum Feature: Sendable, Equatable {
    /// A dictionary the stream was compressed with: decoding needs the same one, which a
    /// Kafka batch cannot carry.
    case dictionary(id: UInt32)
  }
}
