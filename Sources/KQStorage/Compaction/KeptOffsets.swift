/// The offsets of the records compaction keeps, ascending: the key map's offsets, one per key
/// (8 bytes each). Pass two walks them beside the log, which is in offset order too, so it
/// tells a kept record by its offset alone (no key hashed, no map probed) and passes over a
/// batch holding none of them by its header alone (nothing decompressed or parsed): most
/// batches of a long-compacted log.
struct KeptOffsets {
  private var offsets: [Int64]
  /// The first offset not yet passed over.
  private var next = 0

  init(_ map: KeyMap) {
    offsets = map.offsets()
    offsets.sort()
  }

  var count: Int { offsets.count }

  /// Whether a kept offset lies in `first...last`; passes over those below `first`. Calls come
  /// in offset order.
  @inline(__always)
  mutating func anyKept(from first: Int64, through last: Int64) -> Bool {
    while next < offsets.count && offsets[next] < first { next += 1 }
    return next < offsets.count && offsets[next] <= last
  }

  /// Whether `offset` is kept; passes over the kept offsets below it. Calls come in offset order.
  @inline(__always)
  mutating func isKept(_ offset: Int64) -> Bool {
    while next < offsets.count && offsets[next] < offset { next += 1 }
    return next < offsets.count && offsets[next] == offset
  }
}
