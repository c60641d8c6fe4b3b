import CKQPrefetch
import KQLog

/// The cleaner's map from key to the offset of its last record (Kafka's `SkimpyOffsetMap`):
/// open addressing over 24-byte slots, a 128-bit hash of the key (two 64-bit halves) and the
/// offset. Keys themselves are not kept, so memory does not grow with key sizes: 24 bytes a
/// slot, and the table doubles at 3/4 full, so 32 to 64 bytes per distinct key (100 000 keys:
/// 131 072 slots, 3 MiB). Two keys with the same 128 bits would share a slot (Kafka accepts
/// the same odds with MD5): about 1 in 10^28 for 100 000 keys.
final class KeyMap {
  struct Slot {
    var low: UInt64
    var high: UInt64
    /// The offset of the key's last record; -1 marks an empty slot (offsets are ≥ 0).
    var offset: Int64
  }

  static let bytesPerSlot = MemoryLayout<Slot>.stride
  private var slots: UnsafeMutablePointer<Slot>
  private var mask: Int
  private(set) var count = 0
  var capacity: Int { mask + 1 }

  init(capacity requested: Int = 1 << 12) {
    var capacity = 16
    while capacity < requested { capacity <<= 1 }
    slots = .allocate(capacity: capacity)
    slots.initialize(repeating: Slot(low: 0, high: 0, offset: -1), count: capacity)
    mask = capacity - 1
  }

  deinit { slots.deallocate() }

  /// Records that the key hashed to `hash` has a record at `offset` (the larger offset wins).
  @inline(__always)
  func put(_ hash: KeyHash, offset: Int64) {
    if count * 4 >= capacity * 3 { grow() }
    var index = Int(truncatingIfNeeded: hash.low) & mask
    while true {
      let slot = slots[index]
      if slot.offset < 0 {
        slots[index] = Slot(low: hash.low, high: hash.high, offset: offset)
        count += 1
        return
      }
      if slot.low == hash.low && slot.high == hash.high {
        if offset > slot.offset { slots[index].offset = offset }
        return
      }
      index = (index + 1) & mask
    }
  }

  /// The offset of the last record of the key hashed to `hash`, or nil when none was put.
  @inline(__always)
  func offset(of hash: KeyHash) -> Int64? {
    var index = Int(truncatingIfNeeded: hash.low) & mask
    while true {
      let slot = slots[index]
      if slot.offset < 0 { return nil }
      if slot.low == hash.low && slot.high == hash.high { return slot.offset }
      index = (index + 1) & mask
    }
  }

  /// How many keys ahead of a lookup its slot is prefetched: enough misses in flight to cover
  /// memory latency, few enough that the lines are still cached when used.
  static let prefetchDistance = 16

  /// Starts loading the slot `hash` starts probing at, without waiting for it: issued a few
  /// keys ahead of the lookups of a batch, the loads miss the cache side by side instead of one
  /// after another (the table is larger than a CPU's L2 cache).
  @inline(__always)
  func prefetch(_ hash: KeyHash) {
    kq_prefetch(slots + (Int(truncatingIfNeeded: hash.low) & mask))
  }

  /// This map with every key of `other` put in (the larger offset of a key wins); returns self.
  func merging(_ other: KeyMap) -> KeyMap {
    for index in 0..<other.capacity where other.slots[index].offset >= 0 {
      let slot = other.slots[index]
      put(KeyHash(low: slot.low, high: slot.high), offset: slot.offset)
    }
    return self
  }

  /// The offsets of all keys, in slot order.
  func offsets() -> [Int64] {
    var offsets: [Int64] = []
    offsets.reserveCapacity(count)
    for index in 0..<capacity where slots[index].offset >= 0 { offsets.append(slots[index].offset) }
    return offsets
  }

  private func grow() {
    let old = slots
    let oldCapacity = capacity
    let capacity = oldCapacity * 2
    slots = .allocate(capacity: capacity)
    slots.initialize(repeating: Slot(low: 0, high: 0, offset: -1), count: capacity)
    mask = capacity - 1
    count = 0
    for index in 0..<oldCapacity where old[index].offset >= 0 {
      put(KeyHash(low: old[index].low, high: old[index].high), offset: old[index].offset)
    }
    old.deallocate()
  }
}

/// A 128-bit hash of a key: two independent 64-bit multiply-and-mix lanes over its bytes,
/// eight at a time.
struct KeyHash: Equatable {
  var low: UInt64
  var high: UInt64

  @inline(__always)
  init(low: UInt64, high: UInt64) {
    self.low = low
    self.high = high
  }

  @inline(__always)
  init(_ key: UnsafeRawBufferPointer) {
    var a: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
    var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F &+ UInt64(key.count)
    guard let start = key.baseAddress else {
      self.init(low: Self.finish(a), high: Self.finish(b))
      return
    }
    var position = 0
    let count = key.count
    while position + 8 <= count {
      let word = start.loadUnaligned(fromByteOffset: position, as: UInt64.self)
      a = (a ^ word) &* 0xFF51_AFD7_ED55_8CCD
      a ^= a >> 32
      b = (b &+ word) &* 0xC4CE_B9FE_1A85_EC53
      b ^= b >> 29
      position += 8
    }
    if position < count {
      var word: UInt64 = 0
      var shift: UInt64 = 0
      while position < count {
        word |= UInt64(start.load(fromByteOffset: position, as: UInt8.self)) << shift
        shift += 8
        position += 1
      }
      a = (a ^ word) &* 0xFF51_AFD7_ED55_8CCD
      a ^= a >> 32
      b = (b &+ word) &* 0xC4CE_B9FE_1A85_EC53
      b ^= b >> 29
    }
    self.init(low: Self.finish(a), high: Self.finish(b ^ 0x1656_67B1_9E37_79F9))
  }

  /// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
  @inline(__always)
  static func finish(_ value: UInt64) -> UInt64 {
    var x = value
    x ^= x >> 33
    x = x &* 0xFF51_AFD7_ED55_8CCD
    x ^= x >> 33
    x = x &* 0xC4CE_B9FE_1A85_EC53
    x ^= x >> 33
    return x
  }
}
