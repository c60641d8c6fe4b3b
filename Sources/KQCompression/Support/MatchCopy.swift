extension UnsafeMutablePointer<UInt8> {
  /// Copies `count` bytes from `offset` bytes back (the ranges may overlap: offset 1 repeats
  /// one byte) and returns the end of the copy. The caller has checked that `offset` reaches
  /// no further back than decoded bytes and that `count` bytes fit before `end`.
  ///
  /// With 32 bytes of room past the copy it moves 16 bytes a step (offset ≥ 16) or 8 (offset
  /// ≥ 8; shorter periods are first widened to a multiple of themselves ≥ 8), writing up to 15
  /// bytes past the copy's end; closer to `end`, one byte a step.
  @inline(__always)
  func copyMatch(offset: Int, count: Int, end: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
    let copyEnd = self + count
    var source = UnsafePointer(self - offset)
    var target = self
    guard end - self >= count &+ 32 else {
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
      // Write the first `stride` bytes one by one (stride: the least multiple of the period
      // that is at least 8), then copy 8 bytes a step from `stride` back: written, same pattern.
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
