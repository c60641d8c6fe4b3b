extension JSONRecord {
  /// Appends one line (ending in `\n`) to `out`:
  ///
  ///     {"topic":"t","partition":0,"offset":5,"timestamp":1700000000000,"key":"k","value":null,"headers":[["h","x"]]}
  ///
  /// `topic`, `partition`, `offset` and `timestamp` are left out when nil; `key`, `value` and
  /// `headers` are always there. Bytes that are valid UTF-8 become a JSON string (`"`, `\` and
  /// control characters escaped, everything else as is); other bytes become
  /// `{"base64":"..."}`; nil becomes `null`. Header names follow the same rule.
  package static func encode(
    topic: String?, partition: Int?, offset: Int64?, timestamp: Int64?,
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
    headers: [(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?)],
    into out: inout [UInt8]
  ) {
    var estimate = 96 + (key?.count ?? 0) + (value?.count ?? 0)
    for header in headers { estimate += 8 + header.key.count + (header.value?.count ?? 0) }
    out.reserveCapacity(out.count + estimate)
    out.append(UInt8(ascii: "{"))
    if let topic {
      appendLiteral("\"topic\":", to: &out)
      var topic = topic
      topic.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
      out.append(UInt8(ascii: ","))
    }
    if let partition {
      appendLiteral("\"partition\":", to: &out)
      appendInteger(Int64(partition), to: &out)
      out.append(UInt8(ascii: ","))
    }
    if let offset {
      appendLiteral("\"offset\":", to: &out)
      appendInteger(offset, to: &out)
      out.append(UInt8(ascii: ","))
    }
    if let timestamp {
      appendLiteral("\"timestamp\":", to: &out)
      appendInteger(timestamp, to: &out)
      out.append(UInt8(ascii: ","))
    }
    appendLiteral("\"key\":", to: &out)
    appendBytes(key, to: &out)
    appendLiteral(",\"value\":", to: &out)
    appendBytes(value, to: &out)
    appendLiteral(",\"headers\":[", to: &out)
    for (index, header) in headers.enumerated() {
      if index > 0 { out.append(UInt8(ascii: ",")) }
      out.append(UInt8(ascii: "["))
      appendBytes(header.key, to: &out)
      out.append(UInt8(ascii: ","))
      appendBytes(header.value, to: &out)
      out.append(UInt8(ascii: "]"))
    }
    appendLiteral("]}\n", to: &out)
  }

  @inline(__always)
  private static func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
    out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
  }

  private static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch; 19 digits at most
    withUnsafeMutableBytes(of: &digits) { scratch in
      var n = scratch.count
      repeat {
        n -= 1
        scratch[n] = UInt8(truncatingIfNeeded: magnitude % 10) + UInt8(ascii: "0")
        magnitude /= 10
      } while magnitude > 0
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[n...]))
    }
  }

  /// A JSON string when `bytes` is UTF-8, else `{"base64":"..."}`; nil → `null`.
  private static func appendBytes(_ bytes: UnsafeRawBufferPointer?, to out: inout [UInt8]) {
    guard let bytes else {
      appendLiteral("null", to: &out)
      return
    }
    if UTF8Validation.isValid(bytes) {
      appendString(bytes, to: &out)
    } else {
      appendLiteral("{\"base64\":\"", to: &out)
      Base64.encode(bytes, into: &out)
      appendLiteral("\"}", to: &out)
    }
  }

  /// Quotes valid UTF-8 `bytes` as a JSON string.
  private static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    guard let base = bytes.baseAddress else {
      out.append(UInt8(ascii: "\""))
      return
    }
    var runStart = 0
    var nonASCII = false
    while true {
      let index = JSONScanning.nextSpecial(base, from: runStart, to: bytes.count, nonASCII: &nonASCII)
      if runStart < index { JSONScanning.append(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]), to: &out) }
      if index == bytes.count { break }
      let byte = bytes[index]
      runStart = index + 1
      out.append(UInt8(ascii: "\\"))
      switch byte {
      case 0x22: out.append(UInt8(ascii: "\""))
      case 0x5C: out.append(UInt8(ascii: "\\"))
      case 0x0A: out.append(UInt8(ascii: "n"))
      case 0x09: out.append(UInt8(ascii: "t"))
      case 0x0D: out.append(UInt8(ascii: "r"))
      case 0x08: out.append(UInt8(ascii: "b"))
      case 0x0C: out.append(UInt8(ascii: "f"))
      default:
        let hex: StaticString = "0123456789abcdef"
        appendLiteral("u00", to: &out)
        out.append(hex.utf8Start[Int(byte >> 4)])
        out.append(hex.utf8Start[Int(byte & 0x0F)])
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}
