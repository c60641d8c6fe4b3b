/// Where a broker listens: a host name or IP address and a TCP port, parsed from
/// `HOST:PORT`, `[IPV6]:PORT` or `HOST` (port 9092, Kafka's default).
package struct BrokerAddress: Hashable, Sendable {
  package var host: String
  package var port: UInt16

  package static let defaultPort: UInt16 = 9092

  package init(host: String, port: UInt16) {
    self.host = host
    self.port = port
  }

  /// Parses one address; throws `KafkaError.invalidAddress` naming what is wrong.
  package init(parsing text: String) throws(KafkaError) {
    var rest = Substring(text)
    if let scheme = rest.firstRange(of: "://") {
      throw .invalidAddress(
        text, reason: "a broker is HOST:PORT, without '\(rest[..<scheme.upperBound])' (kq talks Kafka's protocol in plain TCP)")
    }
    let host: Substring
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else { throw .invalidAddress(text, reason: "an unclosed '['") }
      host = rest[rest.index(after: rest.startIndex)..<close]
      rest = rest[rest.index(after: close)...]
      guard rest.isEmpty || rest.hasPrefix(":") else {
        throw .invalidAddress(text, reason: "text after ']' that is not ':PORT'")
      }
    } else {
      let colons = rest.filter { $0 == ":" }.count
      guard colons <= 1 else { throw .invalidAddress(text, reason: "an IPv6 address needs brackets: [::1]:9092") }
      let colon = rest.firstIndex(of: ":") ?? rest.endIndex
      host = rest[..<colon]
      rest = rest[colon...]
    }
    guard !host.isEmpty else { throw .invalidAddress(text, reason: "no host") }
    guard !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
      throw .invalidAddress(text, reason: "a host cannot contain spaces or '/'")
    }
    var port = Self.defaultPort
    if rest.hasPrefix(":") {
      let digits = rest.dropFirst()
      guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt16(digits), number > 0
      else { throw .invalidAddress(text, reason: "the port must be a number from 1 to 65535") }
      port = number
    }
    self.init(host: String(host), port: port)
  }

  /// Parses a comma-separated list (`a:9092,b:9092`); empty items are refused.
  package static func list(parsing text: String) throws(KafkaError) -> [BrokerAddress] {
    var addresses: [BrokerAddress] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let trimmed = item.trimmingWhitespace()
      guard !trimmed.isEmpty else { throw .invalidAddress(text, reason: "an empty item in the list") }
      addresses.append(try BrokerAddress(parsing: trimmed))
    }
    return addresses
  }
}

extension BrokerAddress: CustomStringConvertible {
  package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension Substring {
  fileprivate func trimmingWhitespace() -> String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}
