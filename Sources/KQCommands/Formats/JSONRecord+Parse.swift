extension JSONRecord {
  /// Parses one JSON object (whitespace around it allowed, including a trailing `\r`).
  ///
  /// Fields: `key`, `value` (string, `{"base64":"..."}` or null; missing means null), `headers`
  /// (`[["name","value"],...]` or `{"name":"value",...}`, order and repeats kept, names strings
  /// or base64 objects in the array form; null means none), `partition` (non-negative integer up
  /// to 2^31-1), `timestamp` (integer milliseconds or an RFC 3339 string), `topic` (string) and
  /// `offset` (integer). Any other field, or a field given twice, is an error. The parser follows
  /// the envelope's shape and never recurses into arbitrary values, so nesting is at most 4 deep.
  package static func parse(_ line: UnsafeRawBufferPointer) throws(JSONRecordError) -> JSONRecord {
    var parser = JSONRecordParser(bytes: line)
    return try parser.parseRecord()
  }
}

private let quote = UInt8(ascii: "\"")

struct JSONRecordParser {
  let bytes: UnsafeRawBufferPointer
  var i = 0

  init(bytes: UnsafeRawBufferPointer) {
    self.bytes = bytes
  }

  var current: UInt8? { i < bytes.count ? bytes[i] : nil }

  private mutating func skipWhitespace() {
    while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x09, 0x0A, 0x0D: i += 1
      default: return
      }
    }
  }

  private func syntax(_ reason: String, at position: Int? = nil) -> JSONRecordError {
    .syntax(column: (position ?? i) + 1, reason: reason)
  }

  private mutating func expect(_ byte: UInt8, _ reason: String) throws(JSONRecordError) {
    guard current == byte else { throw syntax(reason) }
    i += 1
  }

  mutating func parseRecord() throws(JSONRecordError) -> JSONRecord {
    skipWhitespace()
    guard current == UInt8(ascii: "{") else { throw syntax("expected a JSON object") }
    i += 1
    var record = JSONRecord()
    var seen: UInt8 = 0  // one bit per field, to reject repeats
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      i += 1
    } else {
      while true {
        guard current == quote else { throw syntax("expected a field name") }
        let nameStart = i
        let field = try parseFieldName()
        let name = field.name
        skipWhitespace()
        try expect(UInt8(ascii: ":"), "expected ':'")
        skipWhitespace()
        let column = i + 1
        guard seen & field.rawValue == 0 else {
          throw .invalidField(name: name, column: nameStart + 1, reason: "appears twice")
        }
        seen |= field.rawValue
        switch field {
        case .key: record.key = try parseBytes(field: name)
        case .value: record.value = try parseBytes(field: name)
        case .headers: record.headers = try parseHeaders()
        case .partition:
          if let n = try parseInteger(field: name, nullable: true) {
            guard n >= 0 else {
              throw .invalidField(name: name, column: column, reason: "expected a non-negative integer")
            }
            guard n <= Int64(Int32.max) else {
              throw .invalidField(name: name, column: column, reason: "out of range")
            }
            record.partition = Int(n)
          }
        case .timestamp: record.timestamp = try parseTimestamp()
        case .offset: record.offset = try parseInteger(field: name, nullable: true)
        case .topic:
          if try parseNull() { break }
          guard current == quote else {
            throw .invalidField(name: name, column: column, reason: "expected a string or null")
          }
          record.topic = String(decoding: try parseString(), as: UTF8.self)
        }
        skipWhitespace()
        if try moreMembers(closing: UInt8(ascii: "}")) { continue }
        break
      }
    }
    skipWhitespace()
    guard i == bytes.count else { throw syntax("unexpected data after the JSON object") }
    return record
  }

  /// The envelope's fields; raw values are bits of the parser's `seen` mask.
  enum Field: UInt8 {
    case key = 1, value = 2, headers = 4, partition = 8, timestamp = 16, topic = 32, offset = 64

    var name: String { staticName.description }

    var staticName: StaticString {
      switch self {
      case .key: "key"
      case .value: "value"
      case .headers: "headers"
      case .partition: "partition"
      case .timestamp: "timestamp"
      case .topic: "topic"
      case .offset: "offset"
      }
    }

    init?(_ bytes: UnsafeRawBufferPointer) {
      let candidate: Field
      switch bytes.count {
      case 3: candidate = .key
      case 5: candidate = bytes[0] == UInt8(ascii: "v") ? .value : .topic
      case 6: candidate = .offset
      case 7: candidate = .headers
      case 9: candidate = bytes[0] == UInt8(ascii: "p") ? .partition : .timestamp
      default: return nil
      }
      let name = candidate.staticName.utf8Start
      for k in 0..<bytes.count where name[k] != bytes[k] { return nil }
      self = candidate
    }
  }

  /// The field name string at `bytes[i] == '"'`; throws for names that are not fields.
  private mutating func parseFieldName() throws(JSONRecordError) -> Field {
    let start = i
    // Fast path: plain lowercase letters, no escapes, no copy.
    var end = i + 1
    while end < bytes.count, bytes[end] >= UInt8(ascii: "a"), bytes[end] <= UInt8(ascii: "z") { end += 1 }
    if end < bytes.count, bytes[end] == quote,
      let field = Field(UnsafeRawBufferPointer(rebasing: bytes[(i + 1)..<end]))
    {
      i = end + 1
      return field
    }
    let name = try parseString()
    guard let field = name.withUnsafeBytes({ Field($0) }) else {
      throw .unknownField(name: String(decoding: name, as: UTF8.self), column: start + 1)
    }
    return field
  }

  /// `null` → true (consumed); anything else → false (not consumed).
  mutating func parseNull() throws(JSONRecordError) -> Bool {
    guard current == UInt8(ascii: "n") else { return false }
    guard i + 4 <= bytes.count, bytes[i + 1] == UInt8(ascii: "u"), bytes[i + 2] == UInt8(ascii: "l"),
      bytes[i + 3] == UInt8(ascii: "l")
    else { throw syntax("invalid literal") }
    i += 4
    return true
  }

  /// A string, `{"base64":"..."}` or null.
  private mutating func parseBytes(field: String) throws(JSONRecordError) -> [UInt8]? {
    if try parseNull() { return nil }
    let column = i + 1
    if current == quote { return try parseString() }
    guard current == UInt8(ascii: "{") else {
      throw .invalidField(
        name: field, column: column, reason: "expected a string, {\"base64\": \"...\"} or null")
    }
    i += 1
    skipWhitespace()
    guard current == quote, try parseString() == Array("base64".utf8) else {
      throw .invalidField(name: field, column: column, reason: "expected {\"base64\": \"...\"}")
    }
    skipWhitespace()
    try expect(UInt8(ascii: ":"), "expected ':'")
    skipWhitespace()
    let stringColumn = i + 1
    guard current == quote else {
      throw .invalidField(name: field, column: stringColumn, reason: "expected a base64 string")
    }
    guard let decoded = Base64.decode(try parseString()) else {
      throw .invalidField(name: field, column: stringColumn, reason: "invalid base64")
    }
    skipWhitespace()
    try expect(UInt8(ascii: "}"), "expected '}'")
    return decoded
  }

  private mutating func parseHeaders() throws(JSONRecordError) -> [JSONHeader] {
    let field = "headers"
    if try parseNull() { return [] }
    var headers: [JSONHeader] = []
    if current == UInt8(ascii: "{") {
      i += 1
      skipWhitespace()
      if current == UInt8(ascii: "}") {
        i += 1
        return headers
      }
      while true {
        guard current == quote else { throw syntax("expected a header name") }
        let name = try parseString()
        skipWhitespace()
        try expect(UInt8(ascii: ":"), "expected ':'")
        skipWhitespace()
        headers.append(JSONHeader(key: name, value: try parseBytes(field: field)))
        skipWhitespace()
        if try moreMembers(closing: UInt8(ascii: "}")) { continue }
        return headers
      }
    }
    guard current == UInt8(ascii: "[") else {
      throw .invalidField(
        name: field, column: i + 1, reason: "expected an array of [name, value] pairs or an object")
    }
    i += 1
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      i += 1
      return headers
    }
    while true {
      let pairColumn = i + 1
      let notAPair = JSONRecordError.invalidField(
        name: field, column: pairColumn, reason: "expected a [name, value] pair")
      guard current == UInt8(ascii: "[") else { throw notAPair }
      i += 1
      skipWhitespace()
      if current == UInt8(ascii: "]") { throw notAPair }
      let nameColumn = i + 1
      guard let name = try parseBytes(field: field) else {
        throw .invalidField(name: field, column: nameColumn, reason: "a header name cannot be null")
      }
      skipWhitespace()
      if current == UInt8(ascii: "]") { throw notAPair }
      try expect(UInt8(ascii: ","), "expected ','")
      skipWhitespace()
      let value = try parseBytes(field: field)
      skipWhitespace()
      if current == UInt8(ascii: ",") { throw notAPair }
      try expect(UInt8(ascii: "]"), "expected ']'")
      headers.append(JSONHeader(key: name, value: value))
      skipWhitespace()
      if try moreMembers(closing: UInt8(ascii: "]")) { continue }
      return headers
    }
  }

  /// After a member of an object or array: true after a ',' (another member follows), false
  /// after the closing bracket; anything else is a syntax error.
  private mutating func moreMembers(closing: UInt8) throws(JSONRecordError) -> Bool {
    if current == UInt8(ascii: ",") {
      i += 1
      skipWhitespace()
      return true
    }
    try expect(closing, closing == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
    return false
  }

  private mutating func parseTimestamp() throws(JSONRecordError) -> Int64? {
    guard current == quote else { return try parseInteger(field: "timestamp", nullable: true) }
    let column = i + 1
    guard let ms = Timestamps.parse(utf8: try parseString()) else {
      throw .invalidField(
        name: "timestamp", column: column, reason: "expected milliseconds or an RFC 3339 time")
    }
    return ms
  }
}
