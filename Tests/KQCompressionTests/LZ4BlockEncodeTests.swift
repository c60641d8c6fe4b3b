import KQTestSupport
import Testing

@testable import KQCompression

/// The LZ4 block encoder against the block format's rules for encoders: the last 5 bytes are
/// literals, the last match starts at least 12 bytes before the end, and nothing is written
/// past `compressedBound + encoderSlack`, at every size near the rules' edges.
@Suite("LZ4 block encoder")
struct LZ4BlockEncodeTests {
  /// One sequence of a block as the format lays it out.
  struct Sequence {
    var literalStart: Int
    var literalCount: Int
    /// Where its match starts and how long it is (in the decoded output); nil for the last.
    var match: (start: Int, count: Int)?
  }

  /// The sequences of `block`, read by the format's rules; nil when it does not parse.
  static func sequences(_ block: [UInt8]) -> [Sequence]? {
    var result: [Sequence] = []
    var ip = 0
    var decoded = 0
    func length(_ nibble: Int) -> Int? {
      guard nibble == 15 else { return nibble }
      var total = 15
      while true {
        guard ip < block.count else { return nil }
        let byte = Int(block[ip])
        ip += 1
        total += byte
        if byte != 255 { return total }
      }
    }
    while ip < block.count {
      let token = Int(block[ip])
      ip += 1
      guard let literals = length(token >> 4), ip + literals <= block.count else { return nil }
      var sequence = Sequence(literalStart: decoded, literalCount: literals, match: nil)
      ip += literals
      decoded += literals
      if ip == block.count {
        result.append(sequence)
        return result
      }
      guard ip + 2 <= block.count else { return nil }
      ip += 2
      guard let extra = length(token & 15) else { return nil }
      sequence.match = (decoded, extra + 4)
      decoded += extra + 4
      result.append(sequence)
    }
    return nil
  }

  /// Inputs that end in matches: runs, short periods, and log lines ending in a repeat.
  static func inputs(count: Int) -> [(String, [UInt8])] {
    var random = SeededGenerator(seed: UInt64(count))
    var lines = CodecCorpus.logLines(count: max(0, count - 40), using: &random)
    lines += lines.prefix(min(40, count - lines.count))
    lines += [UInt8](repeating: 0x20, count: count - lines.count)
    return [
      ("one byte repeated", [UInt8](repeating: 0x41, count: count)),
      ("period 2", (0..<count).map { UInt8(truncatingIfNeeded: 0x61 + $0 % 2) }),
      ("period 5", (0..<count).map { UInt8(truncatingIfNeeded: 0x61 + $0 % 5) }),
      ("log lines ending in a repeat", lines),
    ]
  }

  /// Encodes `input` as one block into exactly the room `encode` may use, followed by guard
  /// bytes; returns the block, or nil when a guard byte was written.
  static func encodeGuarded(_ input: [UInt8]) -> [UInt8]? {
    let room = LZ4Block.compressedBound(input.count) + LZ4Block.encoderSlack
    let guardCount = 64
    let output = UnsafeMutablePointer<UInt8>.allocate(capacity: room + guardCount)
    defer { output.deallocate() }
    output.initialize(repeating: 0xA5, count: room + guardCount)
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: LZ4Block.hashTableCount)
    defer { table.deallocate() }
    let written = input.withUnsafeBufferPointer { source in
      LZ4Block.encode(source.baseAddress ?? UnsafePointer(output), count: input.count, into: output, table: table)
    }
    guard (room..<(room + guardCount)).allSatisfy({ output[$0] == 0xA5 }) else { return nil }
    return Array(UnsafeBufferPointer(start: output, count: written))
  }

  @Test("every size from 0 to 80 bytes and around 64 KiB: the end rules hold and the block decodes")
  func endOfBlockRules() throws {
    let sizes = Array(0...80) + [LZ4Block.maximumEncodedBlock - 13, LZ4Block.maximumEncodedBlock - 12,
      LZ4Block.maximumEncodedBlock - 5, LZ4Block.maximumEncodedBlock - 1, LZ4Block.maximumEncodedBlock]
    for size in sizes {
      for (name, input) in Self.inputs(count: size) {
        let block = try #require(Self.encodeGuarded(input), "\(name), \(size) bytes: wrote past its room")
        let sequences = try #require(Self.sequences(block), "\(name), \(size) bytes: does not parse")
        let last = try #require(sequences.last)
        #expect(last.match == nil)
        #expect(last.literalStart + last.literalCount == size, "\(name), \(size) bytes")
        #expect(last.literalCount >= min(size, 5), "\(name), \(size) bytes: the last 5 bytes are literals")
        for sequence in sequences.dropLast() {
          let match = try #require(sequence.match)
          #expect(match.start + 12 <= size, "\(name), \(size) bytes: a match starts within the last 12 bytes")
        }
        if size >= 64 && name == "one byte repeated" { #expect(sequences.count > 1, "a run compresses") }
        let decoded = try block.withUnsafeBufferPointer { source in
          try [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
            let base = try #require(buffer.baseAddress)
            let sourceBase = try #require(source.baseAddress)
            let end = try LZ4Block.decode(sourceBase, sourceBase + source.count, into: base, base + size, lowest: base)
            count = end - base
          }
        }
        #expect(decoded == input, "\(name), \(size) bytes")
      }
    }
  }

  @Test("literal runs of every length from 0 to 70 between matches round trip within the room")
  func literalRunLengths() throws {
    // A 16-byte pattern repeated with random bytes of each length between: the encoder writes
    // runs of 0-8 literals with one 8-byte copy and longer ones with a loop after it.
    var random = SeededGenerator(seed: 70)
    let pattern = Array("GET /api/v1/user".utf8)
    var input: [UInt8] = []
    for length in 0...70 { input += pattern + random.bytes(count: length) }
    input += pattern + Array("tail.".utf8)
    let block = try #require(Self.encodeGuarded(input), "wrote past its room")
    let sequences = try #require(Self.sequences(block), "does not parse")
    let runs = Set(sequences.map(\.literalCount))
    #expect(runs.contains { $0 > 0 && $0 <= 8 } && runs.contains { $0 > 8 && $0 <= 16 })
    #expect(runs.contains { $0 > 16 && $0 <= 40 } && runs.contains { $0 > 40 })
    let decoded = try block.withUnsafeBufferPointer { source in
      try [UInt8](unsafeUninitializedCapacity: input.count) { buffer, count in
        let base = try #require(buffer.baseAddress)
        let sourceBase = try #require(source.baseAddress)
        count = try LZ4Block.decode(sourceBase, sourceBase + source.count, into: base, base + input.count, lowest: base) - base
      }
    }
    let firstDifference = (0..<min(decoded.count, input.count)).first { decoded[$0] != input[$0] }
    #expect(decoded.count == input.count && firstDifference == nil, "decoded \(decoded.count) bytes, first difference at \(String(describing: firstDifference))")
  }

  @Test("frames across block boundaries round trip, and so do matches that reach a block's end")
  func blockBoundaries() throws {
    let block = LZ4Frame.kafkaBlockSize
    for size in [block - 1, block, block + 1, block + 12, block + 13, 2 * block, 2 * block + 5] {
      for (name, input) in Self.inputs(count: size) {
        let frame = try CompressionCodec.lz4.compress(input)
        #expect(frame.count < input.count || size < 64, "\(name), \(size) bytes")
        #expect(try CompressionCodec.lz4.decompress(frame, limit: size) == input, "\(name), \(size) bytes")
      }
    }
  }

  @Test(
    "the lz4 library decodes kq's frames of inputs ending in matches at block boundaries",
    .enabled(if: TestPeer.pythonLZ4.shouldRun))
  func libraryDecodesBoundaryFrames() throws {
    try TestPeer.pythonLZ4.require()
    let block = LZ4Frame.kafkaBlockSize
    let inputs = [13, 17, 80, block - 1, block, block + 13].flatMap { Self.inputs(count: $0).map(\.1) }
    let frames = try inputs.map { try CompressionCodec.lz4.compress($0) }
    let decoded = try PythonTransform.run(
      "import lz4.frame\ndef transform(data): return lz4.frame.decompress(data)", over: frames)
    #expect(decoded == inputs.map { .bytes($0) })
  }
}
