import Glibc

extension UnsafeRawBufferPointer {
  /// Where `needle` first occurs in these bytes (`-K`'s delimiter of more than one byte): a
  /// `memchr` for its first byte, then a compare.
  func firstOffset(of needle: UnsafeRawBufferPointer) -> Int? {
    guard let base = baseAddress, let needleBase = needle.baseAddress, let first = needle.first else { return nil }
    var start = 0
    while start + needle.count <= count {
      guard let hit = memchr(base + start, Int32(first), count - start) else { return nil }
      let at = UnsafeRawPointer(hit) - base
      if at + needle.count > count { return nil }
      if memcmp(base + at, needleBase, needle.count) == 0 { return at }
      start = at + 1
    }
    return nil
  }
}
