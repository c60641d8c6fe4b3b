import KQStorage
import KQLog

/// Random records for seeded tests: null, empty, binary and long keys and values, headers with
/// repeated names and null values, timestamps that may go backwards.
extension SeededGenerator {
  /// Header names, few enough that a record often repeats one; all valid UTF-8 (Kafka's
  /// header names are strings), the empty name included.
  package static let headerNames: [[UInt8]] = [Array("h".utf8), Array("trace-id".utf8), [], Array("ключ".utf8)]

  /// nil, empty, short binary, or long enough (128+) for a two-byte length varint.
  package mutating func optionalBytes(longest: Int = 300) -> [UInt8]? {
    switch Int.random(in: 0..<10, using: &self) {
    case 0: return nil
    case 1: return []
    case 2: return bytes(count: Int.random(in: 128...max(128, longest), using: &self))
    default: return bytes(count: Int.random(in: 1...40, using: &self))
    }
  }

  package mutating func headers() -> [Header] {
    let count = Int.random(in: 0..<10, using: &self) < 6 ? 0 : Int.random(in: 1...4, using: &self)
    return (0..<count).map { _ in
      let name = Self.headerNames[Int.random(in: 0..<Self.headerNames.count, using: &self)]
      return Header(key: name, value: Bool.random(using: &self) ? nil : optionalBytes(longest: 150) ?? [])
    }
  }

  /// A record at `timestamp` give or take `jitter` milliseconds.
  package mutating func record(around timestamp: Int64, jitter: Int64 = 0, longest: Int = 300) -> Record {
    Record(
      key: optionalBytes(longest: longest), value: optionalBytes(longest: longest), headers: headers(),
      timestamp: timestamp + (jitter > 0 ? Int64.random(in: -jitter...jitter, using: &self) : 0))
  }
}
