/// Strict UTF-8 validation (Unicode 15, table 3-7 "Well-Formed UTF-8 Byte Sequences"): rejects
/// overlong forms, UTF-16 surrogates (U+D800...U+DFFF), code points above U+10FFFF, stray
/// continuation bytes and truncated sequences. ASCII runs are checked 8 bytes at a time.
package enum UTF8Validation {
  package static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let count = bytes.count
    var i = 0
    while i < count {
      // ASCII fast path: 8 bytes at a time.
      while i + 8 <= count {
        let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if word & 0x8080_8080_8080_8080 != 0 { break }
        i += 8
      }
      if i >= count { return true }
      let b0 = base.load(fromByteOffset: i, as: UInt8.self)
      if b0 < 0x80 {
        i += 1
        continue
      }
      // Second byte's allowed range depends on the lead byte; later bytes are 80...BF.
      let length: Int
      var low: UInt8 = 0x80
      var high: UInt8 = 0xBF
      switch b0 {
      case 0xC2...0xDF: length = 2
      case 0xE0: length = 3; low = 0xA0  // no overlongs
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: length = 3; high = 0x9F  // no surrogates
      case 0xF0: length = 4; low = 0x90  // no overlongs
      case 0xF1...0xF3: length = 4
      case 0xF4: length = 4; high = 0x8F  // nothing above U+10FFFF
      default: return false  // 80...C1 (stray continuation, overlong 2-byte), F5...FF
      }
      if i + length > count { return false }
      let b1 = base.load(fromByteOffset: i + 1, as: UInt8.self)
      if b1 < low || b1 > high { return false }
      for k in 2..<length where base.load(fromByteOffset: i + k, as: UInt8.self) & 0xC0 != 0x80 {
        return false
      }
      i += length
    }
    return true
  }

  package static func isValid(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { isValid($0) }
  }
}
