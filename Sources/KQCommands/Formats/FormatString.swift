/// kcat's output format (`--format`): literal text with `%` tokens and `\` escapes, parsed
/// once, then rendered per record straight into the output buffer.
///
/// Tokens: `%t` topic, `%p` partition, `%o` offset, `%k` key, `%s`/`%v` value, `%S` value
/// length (-1 for null), `%K` key length, `%T` timestamp (ms), `%h` headers as `n=v` pairs
/// separated by commas, `%%` a percent sign. Escapes: `\n \t \r \0 \\` and `\xNN`.
package struct FormatString: Equatable, Sendable {
  package enum Piece: Equatable, Sendable {
    case literal([UInt8])
    case topic, partition, offset, key, value, valueLength, keyLength, timestamp, headers
  }

  package let pieces: [Piece]

  package enum ParseError: Error, Equatable {
    case unknownToken(String)
    case unknownEscape(String)
    case danglingPercent
    case danglingBackslash
  }

  package init(parsing text: String) throws(ParseError) {
    var pieces: [Piece] = []
    var literal: [UInt8] = []
    let bytes = Array(text.utf8)
    var i = 0
    func flushLiteral() {
      if !literal.isEmpty { pieces.append(.literal(literal)) }
      literal = []
    }
    while i < bytes.count {
      let byte = bytes[i]
      if byte == UInt8(ascii: "%") {
        guard i + 1 < bytes.count else { throw .danglingPercent }
        let token = bytes[i + 1]
        let piece: Piece?
        switch token {
        case UInt8(ascii: "t"): piece = .topic
        case UInt8(ascii: "p"): piece = .partition
        case UInt8(ascii: "o"): piece = .offset
        case UInt8(ascii: "k"): piece = .key
        case UInt8(ascii: "s"), UInt8(ascii: "v"): piece = .value
        case UInt8(ascii: "S"): piece = .valueLength
        case UInt8(ascii: "K"): piece = .keyLength
        case UInt8(ascii: "T"): piece = .timestamp
        case UInt8(ascii: "h"): piece = .headers
        case UInt8(ascii: "%"): piece = nil
        default: throw .unknownToken("%" + String(decoding: [token], as: UTF8.self))
        }
        if let piece {
          flushLiteral()
          pieces.append(piece)
        } else {
          literal.append(UInt8(ascii: "%"))
        }
        i += 2
      } else if byte == UInt8(ascii: "\\") {
        guard i + 1 < bytes.count else { throw .danglingBackslash }
        let escape = bytes[i + 1]
        switch escape {
        case UInt8(ascii: "n"): literal.append(10)
        case UInt8(ascii: "t"): literal.append(9)
        case UInt8(ascii: "r"): literal.append(13)
        case UInt8(ascii: "0"): literal.append(0)
        case UInt8(ascii: "\\"): literal.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "x"):
          guard i + 3 < bytes.count, let value = UInt8(String(decoding: bytes[(i + 2)...(i + 3)], as: UTF8.self), radix: 16)
          else { throw .unknownEscape("\\x") }
          literal.append(value)
          i += 2
        default: throw .unknownEscape("\\" + String(decoding: [escape], as: UTF8.self))
        }
        i += 2
      } else {
        literal.append(byte)
        i += 1
      }
    }
    flushLiteral()
    self.pieces = pieces
  }
}
