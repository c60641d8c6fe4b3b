/// Bytes written as hex in tests: spaces and '|' are ignored, so frames can be laid out by field.
func hex(_ text: String) -> [UInt8] {
  let digits = text.filter(\.isHexDigit)
  var bytes: [UInt8] = []
  var index = digits.startIndex
  while index < digits.endIndex {
    let next = digits.index(index, offsetBy: 2)
    bytes.append(UInt8(digits[index..<next], radix: 16) ?? 0)
    index = next
  }
  return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
  bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
