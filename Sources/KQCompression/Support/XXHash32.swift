/// xxHash32 (Yann Collet), seed 0 unless given: the block, content and descriptor checksum of
/// the LZ4 frame format.
enum XXHash32 {
  static let prime1: UInt32 = 0x9E37_79B1
  static let prime2: UInt32 = 0x85EB_CA77
  static let prime3: UInt32 = 0xC2B2_AE3D
  static let prime4: UInt32 = 0x27D4_EB2F
  static let prime5: UInt32 = 0x1656_67B1

  @inline(__always) static func rotate(_ value: UInt32, _ bits: UInt32) -> UInt32 {
    (value << bits) | (value >> (32 - bits))
  }

  @inline(__always) static func round(_ accumulator: UInt32, _ input: UInt32) -> UInt32 {
    rotate(accumulator &+ input &* prime2, 13) &* prime1
  }

  static func hash(_ bytes: UnsafePointer<UInt8>, count: Int, seed: UInt32 = 0) -> UInt32 {
    var p = bytes
    let end = bytes + count
    var h: UInt32
    if count >= 16 {
      var v1 = seed &+ prime1 &+ prime2
      var v2 = seed &+ prime2
      var v3 = seed
      var v4 = seed &- prime1
      let limit = end - 16
      repeat {
        v1 = round(v1, p.loadLE32(at: 0))
        v2 = round(v2, p.loadLE32(at: 4))
        v3 = round(v3, p.loadLE32(at: 8))
        v4 = round(v4, p.loadLE32(at: 12))
        p += 16
      } while p <= limit
      h = rotate(v1, 1) &+ rotate(v2, 7) &+ rotate(v3, 12) &+ rotate(v4, 18)
    } else {
      h = seed &+ prime5
    }
    h &+= UInt32(truncatingIfNeeded: count)
    while end - p >= 4 {
      h &+= p.loadLE32() &* prime3
      h = rotate(h, 17) &* prime4
      p += 4
    }
    while p < end {
      h &+= UInt32(p.pointee) &* prime5
      h = rotate(h, 11) &* prime1
      p += 1
    }
    h ^= h >> 15
    h &*= prime2
    h ^= h >> 13
    h &*= prime3
    h ^= h >> 16
    return h
  }
}
