/// Base64 with the standard alphabet (RFC 4648 section 4). `encode` always pads; `decode`
/// accepts input with or without padding, rejects any other character (including whitespace),
/// misplaced padding and impossible lengths, and ignores nonzero bits in the final character.
package enum Base64 {
  private static let alphabet: [UInt8] = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// Character → 6-bit value, 0xFF for characters outside the alphabet.
  private static let decodeTable: [UInt8] = {
    var table = [UInt8](repeating: 0xFF, count: 256)
    for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
    return table
  }()

  /// Appends the encoding of `bytes` to `out`.
  package static func encode(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    let count = bytes.count
    out.reserveCapacity(out.count + (count + 2) / 3 * 4)
    alphabet.withUnsafeBufferPointer { a in
      var i = 0
      while i + 3 <= count {
        let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        out.append(a[Int(n >> 18)])
        out.append(a[Int(n >> 12 & 0x3F)])
        out.append(a[Int(n >> 6 & 0x3F)])
        out.append(a[Int(n & 0x3F)])
        i += 3
      }
      switch count - i {
      case 1:
        let n = UInt32(bytes[i]) << 16
        out.append(a[Int(n >> 18)])
        out.append(a[Int(n >> 12 & 0x3F)])
        out.append(UInt8(ascii: "="))
        out.append(UInt8(ascii: "="))
      case 2:
        let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
        out.append(a[Int(n >> 18)])
        out.append(a[Int(n >> 12 & 0x3F)])
        out.append(a[Int(n >> 6 & 0x3F)])
        out.append(UInt8(ascii: "="))
      default:
        break
      }
    }
  }

  package static func encode(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    bytes.withUnsafeBytes { encode($0, into: &out) }
    return String(decoding: out, as: UTF8.self)
  }

  /// The bytes encoded by `text`, or nil when it is not valid base64.
  package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
    if let result = text.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) {
      return result
    }
    return Array(text).withUnsafeBytes { decode($0) }
  }

  private static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
    var length = text.count
    if length % 4 == 0 && length > 0 {
      // Padded form: up to two '=' at the end.
      if text[length - 1] == UInt8(ascii: "=") { length -= 1 }
      if text[length - 1] == UInt8(ascii: "=") && length % 4 == 3 { length -= 1 }
    }
    if length % 4 == 1 { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(length / 4 * 3 + 2)
    let ok = decodeTable.withUnsafeBufferPointer { table -> Bool in
      var accumulator: UInt32 = 0
      var bits = 0
      for i in 0..<length {
        let value = table[Int(text[i])]
        if value == 0xFF { return false }
        accumulator = accumulator << 6 | UInt32(value)
        bits += 6
        if bits >= 8 {
          bits -= 8
          out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
        }
      }
      return true
    }
    return ok ? out : nil
  }
}
