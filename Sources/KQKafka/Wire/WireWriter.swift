/// Builds a request body in Kafka's wire encoding: big-endian integers; strings, bytes and
/// arrays with an int16/int32 length ("classic"), or, in flexible versions, an unsigned varint
/// of length + 1 ("compact", 0 = null); each flexible structure ends with its tagged fields.
///
/// Writing never fails midway: a value the encoding cannot carry (a string over 32767 bytes in
/// a classic field) is written empty and remembered in `problem`, which the connection checks
/// before anything is sent.
package struct WireWriter {
  package private(set) var bytes: [UInt8]
  /// Whether strings, bytes and arrays take the compact form and structures end with tagged
  /// fields: true for the flexible versions of an API (`ApiKey.isFlexible(_:)`).
  package var isFlexible: Bool
  /// The first value that could not be encoded.
  package private(set) var problem: WireError?

  package init(isFlexible: Bool = false, capacity: Int = 256) {
    bytes = []
    bytes.reserveCapacity(capacity)
    self.isFlexible = isFlexible
  }

  package var count: Int { bytes.count }

  package mutating func int8(_ value: Int8) { bytes.append(UInt8(bitPattern: value)) }
  package mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }
  package mutating func int16(_ value: Int16) { bigEndian(UInt16(bitPattern: value)) }
  package mutating func int32(_ value: Int32) { bigEndian(UInt32(bitPattern: value)) }
  package mutating func int64(_ value: Int64) { bigEndian(UInt64(bitPattern: value)) }
  package mutating func uuid(_ value: KafkaUUID) {
    bigEndian(value.high)
    bigEndian(value.low)
  }

  private mutating func bigEndian<T: FixedWidthInteger>(_ value: T) {
    var v = value.bigEndian
    withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
  }

  /// Unsigned base-128 varint, least significant group first, no zig-zag.
  package mutating func unsignedVarInt(_ value: UInt32) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  /// Overwrites 4 bytes at `position` (a length or size filled in afterwards).
  package mutating func setInt32(_ value: Int32, at position: Int) {
    let v = UInt32(bitPattern: value)
    for i in 0..<4 { bytes[position + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * i)) }
  }

  package mutating func raw(_ data: UnsafeRawBufferPointer) { bytes.append(contentsOf: data) }
  package mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }

  // MARK: Strings, bytes, arrays

  package mutating func string(_ value: String, field: String = "string") {
    var value = value
    value.withUTF8 { utf8 in lengthPrefixed(UnsafeRawBufferPointer(utf8), field: field, isBytes: false) }
  }

  package mutating func nullableString(_ value: String?, field: String = "string") {
    guard let value else { return writeNull(isBytes: false) }
    string(value, field: field)
  }

  /// A string that keeps the classic int16 length even in flexible versions (the request
  /// header's client id).
  package mutating func classicNullableString(_ value: String?) {
    let flexible = isFlexible
    isFlexible = false
    nullableString(value, field: "client id")
    isFlexible = flexible
  }

  package mutating func bytes(_ value: [UInt8], field: String = "bytes") {
    value.withUnsafeBytes { lengthPrefixed($0, field: field, isBytes: true) }
  }

  package mutating func bytes(_ value: UnsafeRawBufferPointer, field: String = "bytes") {
    lengthPrefixed(value, field: field, isBytes: true)
  }

  package mutating func nullableBytes(_ value: [UInt8]?, field: String = "bytes") {
    guard let value else { return writeNull(isBytes: true) }
    bytes(value, field: field)
  }

  /// The length (or count) of an array that follows; the caller writes the elements.
  package mutating func arrayCount(_ count: Int) {
    if isFlexible {
      compactLength(count, field: "array")
    } else if let count = Int32(exactly: count) {
      int32(count)
    } else {
      problem = problem ?? .valueTooLarge(field: "array", size: count, limit: Int(Int32.max))
      int32(0)
    }
  }

  package mutating func nullArray() { writeNull(isBytes: true) }

  package mutating func array<T>(_ elements: [T], _ write: (inout WireWriter, T) -> Void) {
    arrayCount(elements.count)
    for element in elements { write(&self, element) }
  }

  package mutating func nullableArray<T>(_ elements: [T]?, _ write: (inout WireWriter, T) -> Void) {
    guard let elements else { return nullArray() }
    array(elements, write)
  }

  package mutating func int32Array(_ values: [Int32]) { array(values) { $0.int32($1) } }
  package mutating func stringArray(_ values: [String]) { array(values) { $0.string($1) } }

  /// Ends a structure in a flexible version: kq sends no tagged fields (count 0).
  package mutating func taggedFields() {
    if isFlexible { bytes.append(0) }
  }

  private mutating func writeNull(isBytes: Bool) {
    if isFlexible {
      bytes.append(0)
    } else if isBytes {
      int32(-1)
    } else {
      int16(-1)
    }
  }

  private mutating func lengthPrefixed(_ data: UnsafeRawBufferPointer, field: String, isBytes: Bool) {
    if isFlexible {
      guard compactLength(data.count, field: field) else { return }
    } else if isBytes {
      guard let length = Int32(exactly: data.count) else {
        problem = problem ?? .valueTooLarge(field: field, size: data.count, limit: Int(Int32.max))
        return int32(0)
      }
      int32(length)
    } else {
      guard let length = Int16(exactly: data.count) else {
        problem = problem ?? .valueTooLarge(field: field, size: data.count, limit: Int(Int16.max))
        return int16(0)
      }
      int16(length)
    }
    bytes.append(contentsOf: data)
  }

  /// Compact length: unsigned varint of length + 1.
  @discardableResult
  private mutating func compactLength(_ length: Int, field: String) -> Bool {
    guard length < Int(Int32.max), let encoded = UInt32(exactly: length + 1) else {
      problem = problem ?? .valueTooLarge(field: field, size: length, limit: Int(Int32.max) - 1)
      unsignedVarInt(1)
      return false
    }
    unsignedVarInt(encoded)
    return true
  }
}
