/// A topic name that follows Kafka's rules: 1–249 characters of `[A-Za-z0-9._-]`, not `.` or
/// `..`. Such a name can never reach outside the data directory.
package struct TopicName: Hashable, Comparable, Sendable, CustomStringConvertible {
  package static let maxLength = 249
  package let value: String

  package init(_ value: String) throws(StorageError) {
    if let reason = Self.problem(with: value) { throw .invalidTopicName(value, reason: reason) }
    self.value = value
  }

  /// Why `value` is not a legal name, or nil when it is.
  package static func problem(with value: String) -> String? {
    let utf8 = value.utf8
    if utf8.isEmpty { return "it is empty" }
    if utf8.count > maxLength { return "it is \(utf8.count) characters long; the limit is \(maxLength)" }
    if value == "." || value == ".." { return "'.' and '..' are not allowed" }
    for byte in utf8 where !isLegal(byte) {
      let shown = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : "a non-ASCII character"
      return "it contains \(shown); use only letters, digits, '.', '_' and '-'"
    }
    return nil
  }

  @inline(__always)
  package static func isLegal(_ byte: UInt8) -> Bool {
    (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57)
      || byte == 46 || byte == 95 || byte == 45
  }

  /// The name with '.' replaced by '_': two topics that agree here would collide in Kafka.
  package var collisionKey: String {
    String(decoding: value.utf8.map { $0 == 46 ? 95 : $0 }, as: UTF8.self)
  }

  package var description: String { value }
  package static func < (a: TopicName, b: TopicName) -> Bool { a.value < b.value }
}

/// A consumer group name: the same alphabet and length as topic names, so it is also a safe
/// file name.
package struct GroupName: Hashable, Comparable, Sendable, CustomStringConvertible {
  package let value: String

  package init(_ value: String) throws(StorageError) {
    if let reason = TopicName.problem(with: value) { throw .invalidGroupName(value, reason: reason) }
    self.value = value
  }

  package var description: String { value }
  package static func < (a: GroupName, b: GroupName) -> Bool { a.value < b.value }
}
