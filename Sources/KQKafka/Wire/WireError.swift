/// Why bytes from a broker could not be decoded. Every case keeps the byte position in the
/// response body where decoding stopped, so a report can point at it.
package enum WireError: Error, Equatable, Sendable {
  /// A field needs `needed` bytes at `position`, and only `available` remain.
  case truncated(needed: Int, available: Int, position: Int)
  /// A length or count other than the null marker is negative.
  case negativeLength(Int64, position: Int)
  /// A field that cannot be null is null.
  case unexpectedNull(position: Int)
  /// An unsigned varint runs past its 5 bytes (32 bits).
  case varIntTooLong(position: Int)
  /// An array announces more elements than the bytes left could hold.
  case countTooLarge(Int64, available: Int, position: Int)
  /// A string is not valid UTF-8.
  case invalidUTF8(position: Int)
  /// A value the request cannot carry: a string longer than its length field allows, or a
  /// request larger than a frame.
  case valueTooLarge(field: String, size: Int, limit: Int)
}

extension WireError: CustomStringConvertible {
  package var description: String {
    switch self {
    case .truncated(let needed, let available, let position):
      "a field at byte \(position) needs \(needed) bytes, \(available) remain"
    case .negativeLength(let length, let position): "negative length \(length) at byte \(position)"
    case .unexpectedNull(let position): "null where a value is required at byte \(position)"
    case .varIntTooLong(let position): "a varint longer than 5 bytes at byte \(position)"
    case .countTooLarge(let count, let available, let position):
      "an array of \(count) elements at byte \(position), with only \(available) bytes left"
    case .invalidUTF8(let position): "a string that is not UTF-8 at byte \(position)"
    case .valueTooLarge(let field, let size, let limit): "\(field) of \(size) bytes exceeds its limit of \(limit)"
    }
  }
}
