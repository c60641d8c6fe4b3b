import KQTestSupport
import Testing

@testable import KQCompression

/// `LZ4Block.decode` (a fast loop of wild copies, then an exact tail) against a plain decoder
/// that moves one byte at a time: the same bytes, or the same failure at the same offset.
@Suite("LZ4 block decoding")
struct LZ4BlockDecodeTests {
  @Test("random blocks decode to the bytes a byte-at-a-time decoder gives, with any room", arguments: 0..<40 as Range<UInt64>)
  func randomBlocks(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let (block, decoded) = Self.randomBlock(using: &random)
    for slack in [0, 1, 15, 16, 31, 32, 63, 64, 65, 200] {
      #expect(Self.decode(block, capacity: decoded.count + slack) == .success(decoded), "seed \(seed) slack \(slack)")
    }
    #expect(Self.decode(block, capacity: decoded.count - 1) == Self.reference(block, capacity: decoded.count - 1))
    #expect(Self.decode(block, capacity: decoded.count - 1) == .failure("outputFull"))
  }

  @Test("a block cut anywhere, or with any byte changed, fails as the plain decoder does, at the same offset", arguments: 0..<6 as Range<UInt64>)
  func damagedBlocks(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let (block, decoded) = Self.randomBlock(using: &random, sequences: 40)
    for cut in 0..<block.count {
      let part = Array(block[0..<cut])
      #expect(Self.decode(part, capacity: decoded.count + 64) == Self.reference(part, capacity: decoded.count + 64), "cut \(cut)")
    }
    for index in 0..<block.count {
      var changed = block
      changed[index] = UInt8(truncatingIfNeeded: random.next())
      for capacity in [decoded.count, decoded.count + 100] {
        #expect(Self.decode(changed, capacity: capacity) == Self.reference(changed, capacity: capacity), "byte \(index)")
      }
    }
  }

  @Test("matches of every length from every short offset (1-40) decode exactly, near the end of the room too")
  func shortOffsets() throws {
    for offset in 1...40 {
      for matchLength in [4, 5, 8, 15, 16, 17, 18, 19, 31, 32, 33, 40, 64, 100, 300] {
        var block: [UInt8] = []
        var decoded: [UInt8] = []
        let literals = (0..<offset).map { UInt8(65 + $0 % 26) }
        Self.appendSequence(literals: literals, offset: offset, matchLength: matchLength, to: &block, decoded: &decoded)
        Self.appendSequence(literals: Array("end..".utf8), offset: nil, matchLength: 0, to: &block, decoded: &decoded)
        for slack in [0, 7, 64, 100] {
          #expect(Self.decode(block, capacity: decoded.count + slack) == .success(decoded), "offset \(offset) length \(matchLength)")
        }
      }
    }
  }

  // MARK: - Blocks and decoders

  enum Outcome: Equatable {
    case success([UInt8])
    case failure(String)
  }

  static func decode(_ block: [UInt8], capacity: Int) -> Outcome {
    let output = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity, 1))
    defer { output.deallocate() }
    return block.withUnsafeBufferPointer { input in
      let start = input.baseAddress ?? UnsafePointer(output)  // an empty block: never read
      do {
        let end = try LZ4Block.decode(start, start + input.count, into: output, output + capacity, lowest: output)
        return .success(Array(UnsafeBufferPointer(start: output, count: end - output)))
      } catch {
        return .failure("\(error)")
      }
    }
  }

  /// The block format read the plainest way, with `decode`'s failures and their offsets.
  static func reference(_ block: [UInt8], capacity: Int) -> Outcome {
    var output: [UInt8] = []
    var ip = 0
    func length(_ start: Int) -> Int? {
      var total = start
      while true {
        guard ip < block.count else { return nil }
        let byte = block[ip]
        ip += 1
        total += Int(byte)
        if byte != 255 { return total }
      }
    }
    while true {
      guard ip < block.count else { return .failure("truncated(offset: \(ip))") }
      let token = block[ip]
      ip += 1
      var literals = Int(token >> 4)
      if literals == 15 {
        guard let long = length(15) else { return .failure("truncated(offset: \(ip))") }
        literals = long
      }
      guard literals <= block.count - ip else { return .failure("truncated(offset: \(ip))") }
      guard literals <= capacity - output.count else { return .failure("outputFull") }
      output += block[ip..<(ip + literals)]
      ip += literals
      if ip == block.count { return .success(output) }
      guard block.count - ip >= 2 else { return .failure("truncated(offset: \(ip))") }
      let offset = Int(block[ip]) | Int(block[ip + 1]) << 8
      guard offset != 0, offset <= output.count else { return .failure("badMatchOffset(offset: \(ip))") }
      ip += 2
      var match = Int(token & 15)
      if match == 15 {
        guard let long = length(15) else { return .failure("truncated(offset: \(ip))") }
        match = long
      }
      match += 4
      guard match <= capacity - output.count else { return .failure("outputFull") }
      for _ in 0..<match { output.append(output[output.count - offset]) }
    }
  }

  /// A valid block of `sequences` sequences and its content: literal runs and match lengths
  /// around the fast loop's edges (14/15, 18/19, 32/33, 270+) and offsets from 1 to 65535.
  static func randomBlock(using random: inout SeededGenerator, sequences: Int = 400) -> (block: [UInt8], decoded: [UInt8]) {
    var block: [UInt8] = []
    var decoded: [UInt8] = []
    let literalLengths = [0, 0, 1, 2, 5, 8, 13, 14, 15, 16, 17, 30, 270, 300]
    let matchLengths = [4, 5, 6, 8, 12, 16, 17, 18, 19, 20, 25, 32, 33, 34, 60, 275, 600]
    for index in 0..<sequences {
      var literalCount = literalLengths[Int(random.next() % UInt64(literalLengths.count))]
      if index == 0 { literalCount = max(literalCount, 1) }
      let literals = (0..<literalCount).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      let available = decoded.count + literalCount
      let pick = Int(random.next() % 4)
      let offset = pick == 0 ? 1 + Int(random.next() % 15) : 1 + Int(random.next() % UInt64(min(available, 65535)))
      let matchLength = matchLengths[Int(random.next() % UInt64(matchLengths.count))]
      appendSequence(literals: literals, offset: min(offset, available), matchLength: matchLength, to: &block, decoded: &decoded)
    }
    let tail = (0..<Int(random.next() % 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    appendSequence(literals: tail, offset: nil, matchLength: 0, to: &block, decoded: &decoded)
    return (block, decoded)
  }

  /// One sequence: a token, literals, and unless `offset` is nil (the last) a match.
  static func appendSequence(
    literals: [UInt8], offset: Int?, matchLength: Int, to block: inout [UInt8], decoded: inout [UInt8]
  ) {
    let matchCode = offset == nil ? 0 : matchLength - 4
    block.append(UInt8(min(literals.count, 15) << 4 | min(matchCode, 15)))
    if literals.count >= 15 { appendLength(literals.count - 15, to: &block) }
    block += literals
    decoded += literals
    guard let offset else { return }
    block += [UInt8(offset & 0xFF), UInt8(offset >> 8)]
    if matchCode >= 15 { appendLength(matchCode - 15, to: &block) }
    for _ in 0..<matchLength { decoded.append(decoded[decoded.count - offset]) }
  }

  static func appendLength(_ rest: Int, to block: inout [UInt8]) {
    var rest = rest
    while rest >= 255 {
      block.append(255)
      rest -= 255
    }
    block.append(UInt8(rest))
  }
}
