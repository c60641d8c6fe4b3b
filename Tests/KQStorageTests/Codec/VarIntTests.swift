import Testing

@testable import KQStorage
import KQLog

@Suite("zig-zag varints")
struct VarIntTests {
  /// kafka-format.md §1.3: value, zig-zag value, bytes (computed with kafka-python).
  static let vectors: [(value: Int64, zigZag: UInt64, bytes: [UInt8])] = [
    (0, 0, [0x00]), (-1, 1, [0x01]), (1, 2, [0x02]), (-2, 3, [0x03]),
    (63, 126, [0x7e]), (-64, 127, [0x7f]), (64, 128, [0x80, 0x01]), (-65, 129, [0x81, 0x01]),
    (100, 200, [0xc8, 0x01]), (200, 400, [0x90, 0x03]), (300, 600, [0xd8, 0x04]),
    (8191, 16382, [0xfe, 0x7f]), (-8192, 16383, [0xff, 0x7f]), (8192, 16384, [0x80, 0x80, 0x01]),
    (Int64(Int32.max), 4_294_967_294, [0xfe, 0xff, 0xff, 0xff, 0x0f]),
    (Int64(Int32.min), 4_294_967_295, [0xff, 0xff, 0xff, 0xff, 0x0f]),
    (Int64.max, UInt64.max - 1, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    (Int64.min, UInt64.max, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  ]

  @Test("each value encodes to Kafka's zig-zag bytes and decodes back", arguments: 0..<18)
  func vector(index: Int) {
    let (value, zigZag, bytes) = Self.vectors[index]
    #expect(VarInt.zigZag(value) == zigZag)
    #expect(VarInt.unZigZag(zigZag) == value)
    #expect(VarInt.encode(value) == bytes)
    #expect(VarInt.size(value) == bytes.count)
    var position = 0
    let decoded = bytes.withUnsafeBytes { VarInt.read($0.baseAddress!, at: &position, end: bytes.count) }
    #expect(decoded == value)
    #expect(position == bytes.count)
  }

  @Test("a varint cut short decodes to nil and leaves the position where it was")
  func truncatedVarInt() {
    let bytes: [UInt8] = [0x80, 0x80]
    var position = 0
    let decoded = bytes.withUnsafeBytes { VarInt.read($0.baseAddress!, at: &position, end: bytes.count) }
    #expect(decoded == nil)
    #expect(position == 0)
  }

  @Test("a varint longer than its field's 5-byte limit is refused")
  func overlongInt32Field() {
    let bytes: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    var position = 0
    let decoded = bytes.withUnsafeBytes { VarInt.read($0.baseAddress!, at: &position, end: bytes.count, maxBytes: 5) }
    #expect(decoded == nil)
  }
}
