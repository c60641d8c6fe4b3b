/// The state a zstd frame's blocks share (RFC 8878): the literals of the block being decoded,
/// the last Huffman tree and FSE tables (for "treeless" literals and "repeat" modes) and the
/// three repeat offsets. One decoder per `decompress` call; tables live in memory allocated
/// once, never per block.
final class ZstdDecoder {
  /// A cell of a sequence decoding table: the FSE transition and the code's meaning.
  struct SequenceCell {
    var nextBaseline: UInt16
    var stateBits: UInt8
    /// Extra bits after the code (for offsets, the code itself).
    var extraBits: UInt8
    var base: UInt32
  }

  struct SequenceTable {
    var cells: UnsafeMutablePointer<SequenceCell>
    var accuracyLog = 0
    var isSet = false
  }

  /// The three kinds of sequence fields, each with its own table.
  enum SequenceField {
    case literalLength, offset, matchLength

    var maximumSymbol: Int {
      switch self {
      case .literalLength: ZstdSequenceCodes.maximumLiteralLengthCode
      case .offset: ZstdSequenceCodes.maximumOffsetCode
      case .matchLength: ZstdSequenceCodes.maximumMatchLengthCode
      }
    }

    var maximumAccuracyLog: Int { self == .offset ? 8 : 9 }

    var predefined: ZstdFSE.Distribution {
      switch self {
      case .literalLength: ZstdSequenceCodes.literalLengthDefault
      case .offset: ZstdSequenceCodes.offsetDefault
      case .matchLength: ZstdSequenceCodes.matchLengthDefault
      }
    }

    /// The baseline and extra bit count of `code`.
    func meaning(of code: Int) -> (base: UInt32, extraBits: UInt8) {
      switch self {
      case .literalLength: (ZstdSequenceCodes.literalLengthBaselines[code], ZstdSequenceCodes.literalLengthExtraBits[code])
      case .offset: (UInt32(1) << UInt32(code), UInt8(code))
      case .matchLength: (ZstdSequenceCodes.matchLengthBaselines[code], ZstdSequenceCodes.matchLengthExtraBits[code])
      }
    }
  }

  /// Bytes the literal buffer has past a block's worth, so literal copies may move 16 bytes a
  /// step.
  static let literalSlack = 32
  static let maximumSequenceTable = 1 << 9

  let literalBuffer: UnsafeMutablePointer<UInt8>
  var huffman: ZstdHuffman.Table
  var hasHuffman = false
  /// The FSE table of Huffman weights (accuracy at most 6).
  let weightTable: UnsafeMutablePointer<ZstdFSE.Cell>
  /// Where sequence tables are built before their codes are filled in.
  let fseScratch: UnsafeMutablePointer<ZstdFSE.Cell>
  var literalLengths: SequenceTable
  var offsets: SequenceTable
  var matchLengths: SequenceTable
  var repeatOffsets = (1, 4, 8)

  /// The most literals a block may have here: 128 KiB, or less when the whole output is
  /// smaller (a small batch does not pay for clearing 128 KiB).
  let literalCapacity: Int

  init(outputCapacity: Int) {
    literalCapacity = min(Zstd.maximumBlockSize, outputCapacity)
    literalBuffer = .allocate(capacity: literalCapacity + Self.literalSlack)
    literalBuffer.initialize(repeating: 0, count: literalCapacity + Self.literalSlack)
    huffman = ZstdHuffman.Table(entries: .allocate(capacity: ZstdHuffman.tableCapacity), maximumBits: 1)
    huffman.entries.initialize(repeating: 0, count: ZstdHuffman.tableCapacity)
    weightTable = .allocate(capacity: 64)
    weightTable.initialize(repeating: ZstdFSE.Cell(baseline: 0, symbol: 0, bitCount: 0), count: 64)
    fseScratch = .allocate(capacity: Self.maximumSequenceTable)
    fseScratch.initialize(repeating: ZstdFSE.Cell(baseline: 0, symbol: 0, bitCount: 0), count: Self.maximumSequenceTable)
    func table() -> SequenceTable {
      let cells = UnsafeMutablePointer<SequenceCell>.allocate(capacity: Self.maximumSequenceTable)
      cells.initialize(
        repeating: SequenceCell(nextBaseline: 0, stateBits: 0, extraBits: 0, base: 0), count: Self.maximumSequenceTable)
      return SequenceTable(cells: cells)
    }
    literalLengths = table()
    offsets = table()
    matchLengths = table()
  }

  deinit {
    literalBuffer.deallocate()
    huffman.entries.deallocate()
    weightTable.deallocate()
    fseScratch.deallocate()
    literalLengths.cells.deallocate()
    offsets.cells.deallocate()
    matchLengths.cells.deallocate()
  }

  /// Forgets what the previous frame's blocks left: frames are independent.
  func startFrame() {
    hasHuffman = false
    literalLengths.isSet = false
    offsets.isSet = false
    matchLengths.isSet = false
    repeatOffsets = (1, 4, 8)
  }

  /// Decodes the compressed block `start ..< end` to `op`, writing nothing at or past
  /// `blockEnd` (which is within the output's `outputEnd`); matches reach back to
  /// `frameStart`. A block that needs more room throws `blockTooLarge` at `start`.
  func decodeCompressedBlock(
    _ base: UnsafePointer<UInt8>, start: Int, end: Int, into op: UnsafeMutablePointer<UInt8>,
    blockEnd: UnsafeMutablePointer<UInt8>, outputEnd: UnsafeMutablePointer<UInt8>, frameStart: UnsafeMutablePointer<UInt8>
  ) throws(CompressionError) -> UnsafeMutablePointer<UInt8> {
    let (literalCount, used) = try decodeLiterals(base, start: start, end: end)
    return try decodeSequences(
      base, start: start + used, end: end, literalCount: literalCount, into: op, blockEnd: blockEnd,
      outputEnd: outputEnd, frameStart: frameStart, blockStart: start)
  }
}
