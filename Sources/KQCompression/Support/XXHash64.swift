/// xxHash64 (Yann Collet), seed 0: the low 32 bits are a zstd frame's content checksum.
enum XXHash64 {
  static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
  static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
  static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
  static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

  @inline(__always) static func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 {
    (value << bits) | (value >> (64 - bits))
  }

  @inline(__always) static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
    rotate(accumulator &+ input &* prime2, 31) &* prime1
  }

  @inline(__always) static func merge(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
    (accumulator ^ round(0, value)) &* prime1 &+ prime4
  }

  static func hash(_ bytes: UnsafePointer<UInt8>, count: Int, seed: UInt64 = 0) -> UInt64 {
    var p = bytes
    let end = bytes + count
    var h: UInt64
    if count >= 32 {
      var v1 = seed &+ prime1 &+ prime2
      var v2 = seed &+ prime2
      var v3 = seed
      var v4 = seed &- prime1
      let limit = end - 32
      repeat {
        v1 = round(v1, p.loadLE64(at: 0))
        v2 = round(v2, p.loadLE64(at: 8))
        v3 = round(v3, p.loadLE64(at: 16))
        v4 = round(v4, p.loadLE64(at: 24))
        p += 32
      } while p <= limit
      h = rotate(v1, 1) &+ rotate(v2, 7) &+ rotate(v3, 12) &+ rotate(v4, 18)
      h = merge(h, v1)
      h = merge(h, v2)
      h = merge(h, v3)
      h = merge(h, v4)
    } else {
      h = seed &+ prime5
    }
    h &+= UInt64(truncatingIfNeeded: count)
    while end - p >= 8 {
      h ^= round(0, p.loadLE64())
      h = rotate(h, 27) &* prime1 &+ prime4
      p += 8
    }
    if end - p >= 4 {
      h ^= UInt64(p.loadLE32()) &* prime1
      h = rotate(h, 23) &* prime2 &+ prime3
      p += 4
    }
    while p < end {
      h ^= UInt64(p.pointee) &* prime5
      h = rotate(h, 11) &* prime1
      p += 1
    }
    h ^= h >> 33
    h &*= prime2
    h ^= h >> 29
    h &*= prime3
    h ^= h >> 32
    return h
  }
}
