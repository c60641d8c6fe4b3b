/// Reads a response body in Kafka's wire encoding (see `WireWriter`). Every read checks the
/// bytes left first, every length and count is range-checked against them before anything is
/// allocated, so a broken or hostile broker yields a `WireError`, never a trap or a huge
/// allocation.
package struct WireReader {
  private let storage: [UInt8]
  package private(set) var position: Int
  /// Whether strings, bytes and arrays take the compact form and structures end with tagged
  /// fields.
  package var isFlexible: Bool

  package init(_ bytes: [UInt8], from position: Int = 0, isFlexible: Bool = false) {
    self.storage = bytes
    self.position = min(max(position, 0), bytes.count)
    self.isFlexible = isFlexible
  }

  package var remaining: Int { storage.count - position }

  private mutating func require(_ count: Int) throws(WireError) {
    guard count <= remaining else { throw .truncated(needed: count, available: remaining, position: position) }
  }

  private mutating func bigEndian<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
    try require(MemoryLayout<T>.size)
    var value: T = 0
    for i in 0..<MemoryLayout<T>.size { value = value << 8 | T(truncatingIfNeeded: storage[position + i]) }
    position += MemoryLayout<T>.size
    return value
  }

  package mutating func int8() throws(WireError) -> Int8 { Int8(bitPattern: try bigEndian(UInt8.self)) }
  package mutating func bool() throws(WireError) -> Bool { try bigEndian(UInt8.self) != 0 }
  package mutating func int16() throws(WireError) -> Int16 { Int16(bitPattern: try bigEndian(UInt16.self)) }
  package mutating func int32() throws(WireError) -> Int32 { Int32(bitPattern: try bigEndian(UInt32.self)) }
  package mutating func int64() throws(WireError) -> Int64 { Int64(bitPattern: try bigEndian(UInt64.self)) }
  package mutating func uuid() throws(WireError) -> KafkaUUID {
    KafkaUUID(high: try bigEndian(UInt64.self), low: try bigEndian(UInt64.self))
  }

  /// Unsigned base-128 varint of at most 5 bytes (32 bits).
  package mutating func unsignedVarInt() throws(WireError) -> UInt32 {
    let start = position
    var value: UInt32 = 0
    for i in 0..<5 {
      guard position < storage.count else { throw .truncated(needed: 1, available: 0, position: position) }
      let byte = storage[position]
      position += 1
      if i == 4 && byte > 0x0f { throw .varIntTooLong(position: start) }
      value |= UInt32(byte & 0x7f) << (7 * i)
      if byte < 0x80 { return value }
    }
    throw .varIntTooLong(position: start)
  }

  /// Steps over `count` bytes.
  package mutating func skip(_ count: Int) throws(WireError) {
    try require(count)
    position += count
  }

  /// The next `count` bytes as an array.
  package mutating func take(_ count: Int) throws(WireError) -> [UInt8] {
    try require(count)
    defer { position += count }
    return Array(storage[position..<position + count])
  }

  // MARK: Lengths

  /// A string or bytes length: nil for null. Checked against the bytes left.
  private mutating func length(isBytes: Bool) throws(WireError) -> Int? {
    let start = position
    let length: Int64
    if isFlexible {
      let encoded = try unsignedVarInt()
      if encoded == 0 { return nil }
      length = Int64(encoded) - 1
    } else {
      length = isBytes ? Int64(try int32()) : Int64(try int16())
      if length == -1 { return nil }
      guard length >= 0 else { throw .negativeLength(length, position: start) }
    }
    guard length <= Int64(remaining) else {
      throw .truncated(needed: Int(length), available: remaining, position: position)
    }
    return Int(length)
  }

  package mutating func nullableString() throws(WireError) -> String? {
    guard let count = try length(isBytes: false) else { return nil }
    let start = position
    let utf8 = storage[position..<position + count]
    position += count
    guard let text = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8(position: start) }
    return text
  }

  package mutating func string() throws(WireError) -> String {
    let start = position
    guard let text = try nullableString() else { throw .unexpectedNull(position: start) }
    return text
  }

  package mutating func nullableBytes() throws(WireError) -> [UInt8]? {
    guard let count = try length(isBytes: true) else { return nil }
    return try take(count)
  }

  package mutating func bytes() throws(WireError) -> [UInt8] {
    let start = position
    guard let data = try nullableBytes() else { throw .unexpectedNull(position: start) }
    return data
  }

  /// The range of a bytes field within the body, without copying it; nil for null.
  package mutating func nullableBytesRange() throws(WireError) -> Range<Int>? {
    guard let count = try length(isBytes: true) else { return nil }
    defer { position += count }
    return position..<position + count
  }

  /// An array's element count, nil for null. No element takes less than `minimumElementSize`
  /// bytes, so a count the bytes left cannot hold is refused before any array is reserved.
  package mutating func nullableArrayCount(minimumElementSize: Int = 1) throws(WireError) -> Int? {
    let start = position
    let count: Int64
    if isFlexible {
      let encoded = try unsignedVarInt()
      if encoded == 0 { return nil }
      count = Int64(encoded) - 1
    } else {
      count = Int64(try int32())
      if count == -1 { return nil }
      guard count >= 0 else { throw .negativeLength(count, position: start) }
    }
    guard count * Int64(max(minimumElementSize, 1)) <= Int64(remaining) else {
      throw .countTooLarge(count, available: remaining, position: start)
    }
    return Int(count)
  }

  package mutating func arrayCount(minimumElementSize: Int = 1) throws(WireError) -> Int {
    let start = position
    guard let count = try nullableArrayCount(minimumElementSize: minimumElementSize) else {
      throw .unexpectedNull(position: start)
    }
    return count
  }

  package mutating func array<T>(
    minimumElementSize: Int = 1, _ element: (inout WireReader) throws(WireError) -> T
  ) throws(WireError) -> [T] {
    let count = try arrayCount(minimumElementSize: minimumElementSize)
    var elements: [T] = []
    elements.reserveCapacity(count)
    for _ in 0..<count { elements.append(try element(&self)) }
    return elements
  }

  package mutating func nullableArray<T>(
    minimumElementSize: Int = 1, _ element: (inout WireReader) throws(WireError) -> T
  ) throws(WireError) -> [T]? {
    guard let count = try nullableArrayCount(minimumElementSize: minimumElementSize) else { return nil }
    var elements: [T] = []
    elements.reserveCapacity(count)
    for _ in 0..<count { elements.append(try element(&self)) }
    return elements
  }

  package mutating func int32Array() throws(WireError) -> [Int32] {
    try array(minimumElementSize: 4) { (r: inout WireReader) throws(WireError) in try r.int32() }
  }

  package mutating func stringArray() throws(WireError) -> [String] {
    try array { (r: inout WireReader) throws(WireError) in try r.string() }
  }

  /// Steps over the tagged fields that end a structure in a flexible version (kq reads none of
  /// them); nothing in a classic version. At the very end of the body, missing tagged fields
  /// count as none (Tansu 0.6.0 leaves them off some responses).
  package mutating func skipTaggedFields() throws(WireError) {
    guard isFlexible, remaining > 0 else { return }
    let count = try unsignedVarInt()
    guard Int64(count) <= Int64(remaining) else {
      throw .countTooLarge(Int64(count), available: remaining, position: position)
    }
    for _ in 0..<count {
      _ = try unsignedVarInt()  // tag
      let size = try unsignedVarInt()
      try skip(Int(size))
    }
  }
}
