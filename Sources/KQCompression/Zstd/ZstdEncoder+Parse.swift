extension ZstdEncoder {
  /// Splits block `start ..< end` into sequences and literals (zstd's lazy strategy): at each
  /// position the repeat offset one byte on and the chain's best match; while a position
  /// later gives a better match (by zstd's gain estimate), move on; extend the match back;
  /// after it, take repeat-offset matches that follow directly.
  func parse(start: Int, end: Int) {
    sequenceCount = 0
    literalCount = 0
    let minimumMatch = ZstdMatchFinder.minimumMatch
    let searchEnd = min(end - minimumMatch, finder.hashLimit)
    var anchor = start
    var ip = start
    while ip < searchEnd {
      var length = 0
      var offset = 0
      var matchStart = ip + 1
      let repeatLength = finder.repeatLength(ip + 1, offset: repeatOffsets.0, end: end)
      if repeatLength >= minimumMatch {
        length = repeatLength
        offset = repeatOffsets.0
      }
      let found = finder.search(ip, end: end)
      if found.length > length {
        (length, offset, matchStart) = (found.length, found.offset, ip)
      }
      if length < minimumMatch {
        let step = ((ip - anchor) >> ZstdMatchFinder.searchStrength) + 1
        ip += step
        if step > 1 { finder.nextToInsert = max(finder.nextToInsert, ip) }  // skipped noise is not indexed
        continue
      }
      var isRepeat = offset == repeatOffsets.0 && matchStart > anchor
      var offsetBase = isRepeat ? 1 : offset + 3
      var candidate = matchStart
      while candidate + 1 < searchEnd {
        candidate += 1
        if !isRepeat {
          let repeatLength = finder.repeatLength(candidate, offset: repeatOffsets.0, end: end)
          if repeatLength >= minimumMatch, repeatLength * 3 > length * 3 - Self.highBit(offsetBase) + 1 {
            (length, offset, matchStart, offsetBase, isRepeat) = (repeatLength, repeatOffsets.0, candidate, 1, true)
          }
        }
        let later = finder.search(candidate, end: end)
        if later.length >= minimumMatch,
          later.length * 4 - Self.highBit(later.offset + 3) > length * 4 - Self.highBit(offsetBase) + 4
        {
          (length, offset, matchStart, offsetBase, isRepeat) = (later.length, later.offset, candidate, later.offset + 3, false)
          continue
        }
        break
      }
      if !isRepeat {
        while matchStart > anchor, matchStart - offset > 0, base[matchStart - 1] == base[matchStart - 1 - offset] {
          matchStart -= 1
          length += 1
        }
      }
      store(literalsFrom: anchor, count: matchStart - anchor, offset: offset, matchLength: length)
      ip = matchStart + length
      anchor = ip
      while ip < searchEnd {
        let repeatLength = finder.repeatLength(ip, offset: repeatOffsets.1, end: end)
        guard repeatLength >= minimumMatch else { break }
        store(literalsFrom: ip, count: 0, offset: repeatOffsets.1, matchLength: repeatLength)
        ip += repeatLength
        anchor = ip
      }
    }
    (literals + literalCount).copyBytes(from: base + anchor, count: end - anchor)
    literalCount += end - anchor
  }

  @inline(__always) static func highBit(_ value: Int) -> Int { Int.bitWidth - 1 - value.leadingZeroBitCount }

  /// Stores a sequence: its literals, and its offset as the decoder will read it (a repeat
  /// offset where one matches, counting the shift when there are no literals), updating the
  /// repeat offsets as the decoder will.
  @inline(__always)
  func store(literalsFrom position: Int, count: Int, offset: Int, matchLength: Int) {
    (literals + literalCount).copyBytes(from: base + position, count: count)
    literalCount += count
    var (repeat0, repeat1, repeat2) = repeatOffsets
    let offsetValue: Int
    if count > 0 {
      offsetValue = offset == repeat0 ? 1 : offset == repeat1 ? 2 : offset == repeat2 ? 3 : offset + 3
    } else {
      offsetValue = offset == repeat1 ? 1 : offset == repeat2 ? 2 : offset == repeat0 - 1 ? 3 : offset + 3
    }
    if offsetValue > 3 {
      (repeat0, repeat1, repeat2) = (offset, repeat0, repeat1)
    } else {
      switch offsetValue - 1 + (count == 0 ? 1 : 0) {
      case 0: break
      case 1: (repeat0, repeat1) = (repeat1, repeat0)
      default: (repeat0, repeat1, repeat2) = (offset, repeat0, repeat1)
      }
    }
    repeatOffsets = (repeat0, repeat1, repeat2)
    literalLengths[sequenceCount] = UInt32(count)
    matchLengths[sequenceCount] = UInt32(matchLength)
    offsetValues[sequenceCount] = UInt32(offsetValue)
    sequenceCount += 1
  }
}
