import KQLog

/// The JSON Lines record envelope of `kq produce --json` and `kq consume --json`: one object per
/// line,
///
///     {"topic":"t","partition":0,"offset":5,"timestamp":1700000000000,"key":"k","value":"v",
///      "headers":[["h","x"],["h",null]]}
///
/// `key`, `value` and header values are a JSON string (its UTF-8 bytes), `{"base64":"..."}`
/// (bytes that are not UTF-8) or `null`. Parsing lives in `JSONRecord+Parse.swift`, encoding in
/// `JSONRecord+Encode.swift`. Whatever bytes go through `encode`, `parse` gives them back.
package struct JSONRecord: Equatable, Sendable {
  package var key: [UInt8]?
  package var value: [UInt8]?
  package var headers: [JSONHeader]
  package var partition: Int?
  package var timestamp: Int64?
  /// Present in `consume` output; `produce` ignores it.
  package var topic: String?
  /// Present in `consume` output; `produce` ignores it.
  package var offset: Int64?

  package init(
    key: [UInt8]? = nil, value: [UInt8]? = nil, headers: [JSONHeader] = [], partition: Int? = nil,
    timestamp: Int64? = nil, topic: String? = nil, offset: Int64? = nil
  ) {
    self.key = key
    self.value = value
    self.headers = headers
    self.partition = partition
    self.timestamp = timestamp
    self.topic = topic
    self.offset = offset
  }
}

package struct JSONHeader: Equatable, Sendable {
  package var key: [UInt8]
  package var value: [UInt8]?

  package init(key: [UInt8], value: [UInt8]?) {
    self.key = key
    self.value = value
  }
}

/// Why a line is not a valid record. Columns are 1-based byte offsets into the line.
package enum JSONRecordError: Error, Equatable, Sendable {
  /// The line is not well-formed JSON, or not a JSON object.
  case syntax(column: Int, reason: String)
  /// Well-formed JSON, but a known field has a value of the wrong kind or out of range, or
  /// appears twice.
  case invalidField(name: String, column: Int, reason: String)
  /// A field name that the envelope does not have.
  case unknownField(name: String, column: Int)

  package var column: Int {
    switch self {
    case .syntax(let column, _), .invalidField(_, let column, _), .unknownField(_, let column):
      return column
    }
  }

  /// One line of English, e.g. `column 12: expected ',' or '}'`.
  package var message: String {
    switch self {
    case .syntax(let column, let reason):
      return "column \(column): \(reason)"
    case .invalidField(let name, let column, let reason):
      return "column \(column): field \"\(Self.printable(name))\": \(reason)"
    case .unknownField(let name, let column):
      return "column \(column): unknown field \"\(Self.printable(name))\""
    }
  }

  /// `name` cut to 64 characters, control characters shown as `?`, so a message stays one line.
  private static func printable(_ name: String) -> String {
    var result = ""
    for (index, scalar) in name.unicodeScalars.enumerated() {
      if index == 64 {
        result += "..."
        break
      }
      result.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
    }
    return result
  }
}

extension JSONRecord {
  /// Parses one line of `produce --json` input (or `consume --json` output).
  package static func parse(_ line: [UInt8]) throws(JSONRecordError) -> JSONRecord {
    var result: Result<JSONRecord, JSONRecordError> = .failure(.syntax(column: 1, reason: ""))
    line.withUnsafeBytes { buffer in
      do throws(JSONRecordError) {
        result = .success(try parse(buffer))
      } catch {
        result = .failure(error)
      }
    }
    return try result.get()
  }

  /// Appends this record as one line to `out` (see the static `encode`).
  package func encode(into out: inout [UInt8]) {
    // Pointers to every header at once: lay the headers out in one buffer.
    var flat: [UInt8] = []
    var ranges: [(key: Range<Int>, value: Range<Int>?)] = []
    for header in headers {
      let keyStart = flat.count
      flat.append(contentsOf: header.key)
      let keyRange = keyStart..<flat.count
      var valueRange: Range<Int>?
      if let value = header.value {
        let valueStart = flat.count
        flat.append(contentsOf: value)
        valueRange = valueStart..<flat.count
      }
      ranges.append((keyRange, valueRange))
    }
    flat.withUnsafeBytes { all in
      let headerPointers = ranges.map { range in
        (
          key: UnsafeRawBufferPointer(rebasing: all[range.key]),
          value: range.value.map { UnsafeRawBufferPointer(rebasing: all[$0]) }
        )
      }
      withOptionalBytes(key) { keyBytes in
        withOptionalBytes(value) { valueBytes in
          Self.encode(
            topic: topic, partition: partition, offset: offset, timestamp: timestamp,
            key: keyBytes, value: valueBytes, headers: headerPointers, into: &out)
        }
      }
    }
  }
}
