/// Finds the matches of zstd's encoder: a hash chain over 5-byte sequences searched a few
/// candidates deep, the repeat offsets tried first, and one step of lazy evaluation (a match
/// one byte later is taken when it is enough longer), like zstd's "lazy" strategy.
final class ZstdMatchFinder {
  /// Table sizes for large inputs; a small input gets tables about its size, so compressing a
  /// small batch does not pay for clearing tables it cannot fill.
  static let largestHashLog = 15
  static let largestChainLog = 16
  /// Candidates tried per position.
  static let searchDepth = 4
  /// A match this long ends the search.
  static let sufficientLength = 64
  static let minimumMatch = 4
  /// Past this many bytes without a match, positions are skipped faster (incompressible data).
  static let searchStrength = 8

  let base: UnsafePointer<UInt8>
  let count: Int
  /// How far back a match may reach (the frame's window).
  let maximumDistance: Int
  let hashLog: Int
  let chainLog: Int
  let head: UnsafeMutablePointer<Int32>
  let chain: UnsafeMutablePointer<Int32>
  /// Positions below this are in the chains.
  var nextToInsert = 0

  init(_ base: UnsafePointer<UInt8>, count: Int, maximumDistance: Int) {
    self.base = base
    self.count = count
    self.maximumDistance = maximumDistance
    let inputLog = Int.bitWidth - max(count, 1).leadingZeroBitCount  // highbit(count) + 1
    hashLog = min(Self.largestHashLog, max(8, inputLog))
    chainLog = min(Self.largestChainLog, max(8, inputLog))
    head = .allocate(capacity: 1 << hashLog)
    head.initialize(repeating: -1, count: 1 << hashLog)
    chain = .allocate(capacity: 1 << chainLog)
    chain.initialize(repeating: -1, count: 1 << chainLog)
  }

  deinit {
    head.deallocate()
    chain.deallocate()
  }

  /// Positions at or past this cannot be hashed (8-byte loads).
  var hashLimit: Int { count - 8 }

  @inline(__always) func hash(_ position: Int) -> Int {
    // The low 5 bytes, multiplied by zstd's 5-byte prime; the top bits index the table.
    let product = ((base + position).loadLE64() << 24) &* 889_523_592_379
    return Int(truncatingIfNeeded: product >> UInt64(64 - hashLog))
  }

  @inline(__always) func insert(upTo target: Int) {
    let mask = (1 << chainLog) - 1
    var position = nextToInsert
    while position < target {
      let slot = hash(position)
      chain[position & mask] = head[slot]
      head[slot] = Int32(truncatingIfNeeded: position)
      position += 1
    }
    nextToInsert = max(nextToInsert, target)
  }

  /// The longest match for `position` among the chain's candidates, ending by `end`:
  /// (length, offset), length 0 when none reaches the minimum.
  @inline(__always) func search(_ position: Int, end: Int) -> (length: Int, offset: Int) {
    insert(upTo: position)
    let mask = (1 << chainLog) - 1
    let chainFloor = position - (1 << chainLog)
    let windowFloor = position - maximumDistance
    let ip = base + position
    let limit = base + end
    var candidate = Int(head[hash(position)])
    var bestLength = Self.minimumMatch - 1
    var bestOffset = 0
    var depth = Self.searchDepth
    while candidate >= 0, candidate > chainFloor, candidate >= windowFloor, depth > 0 {
      let match = base + candidate
      if bestLength < end - position, match[bestLength] == ip[bestLength] {
        let length = LZ4Block.matchLength(ip, match, limit: limit) - ip
        if length > bestLength {
          bestLength = length
          bestOffset = position - candidate
          if length >= Self.sufficientLength || position + length == end { break }
        }
      }
      candidate = Int(chain[candidate & mask])
      depth -= 1
    }
    return bestLength >= Self.minimumMatch ? (bestLength, bestOffset) : (0, 0)
  }

  /// The length of the match at `position` with `offset`, ending by `end` (0 if it does not
  /// reach the minimum or reaches before the window).
  @inline(__always) func repeatLength(_ position: Int, offset: Int, end: Int) -> Int {
    guard offset > 0, offset <= position, offset <= maximumDistance, end - position >= Self.minimumMatch else { return 0 }
    let ip = base + position
    let match = ip - offset
    guard ip.loadLE32() == match.loadLE32() else { return 0 }
    return LZ4Block.matchLength(ip + 4, match + 4, limit: base + end) - ip
  }
}
