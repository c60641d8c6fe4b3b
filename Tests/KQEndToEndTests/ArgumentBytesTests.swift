import Foundation
import KQTestSupport
import Testing

/// Arguments reach records byte for byte, and what kq echoes of them cannot drive the terminal
/// (issue 9, item 18). The arguments are made by bash (`$'\377'`): a Swift String cannot hold
/// invalid UTF-8, which is the point.
@Suite("argument bytes")
struct ArgumentBytesTests {
  @Test("--key, -H and -K keep bytes that are not UTF-8, as separate, inline and packed values")
  func invalidUTF8Kept() throws {
    let sandbox = try KQSandbox()
    let run = try sandbox.shell(
      """
      printf 'v\\n' | kq produce t --create --key $'\\377k' -H $'h\\377=v\\376' -H $'\\001' || exit 1
      printf 'a\\377b\\n' | kq produce t -K $'\\377' || exit 2
      printf 'c\\376d\\n' | kq produce t -K$'\\376' || exit 3
      printf 'e\\375f\\n' | kq produce t --key-delimiter=$'\\375' || exit 4
      printf 'g\\374h\\n' | kq produce t -H$'\\374=\\374' || exit 5
      kq consume t --json
      """)
    #expect(run.status == 0, "\(run)")
    let records = try JSON.lines(run.output)
    #expect(records.count == 5, "\(run)")
    guard records.count == 5 else { return }
    #expect(base64(records[0]["key"]) == "/2s=")
    let headers = records[0]["headers"] as? [[Any]]
    #expect(headers?.count == 2)
    #expect(base64(headers?.first?.first) == "aP8=" && base64(headers?.first?.last) == "dv4=")
    #expect(JSON.field(headers?.last?.first) == "\u{1}")
    #expect(JSON.isNull(headers?.last?.last))
    for (index, expected) in [(1, ("a", "b")), (2, ("c", "d")), (3, ("e", "f"))] {
      #expect(JSON.field(records[index]["key"]) == expected.0 && JSON.field(records[index]["value"]) == expected.1, "\(records[index])")
    }
    let gh = records[4]["headers"] as? [[Any]]
    #expect(base64(gh?.first?.first) == "/A==" && base64(gh?.first?.last) == "/A==", "\(records[4])")
  }

  @Test("control characters in names and flags are escaped in messages, never written raw")
  func controlCharactersEscaped() throws {
    let sandbox = try KQSandbox()
    let run = try sandbox.shell(
      """
      kq consume $'x\\033[31mred' ; kq consume t --bogus$'\\033]0;title\\007' ; kq consume $'two\\nlines'
      kq --dir $'/nonexistent/\\033[2J' consume t ; exit 0
      """)
    #expect(!run.stderr.contains(0x1B) && !run.stderr.contains(0x07), "\(run)")
    #expect(run.errors.contains("x\\x1B[31mred") && run.errors.contains("--bogus\\x1B]0;title\\x07"), "\(run)")
    #expect(run.errors.contains("two\\nlines"), "\(run)")
    #expect(run.errors.split(separator: "\n").allSatisfy { $0.hasPrefix("kq: error: ") || $0.hasPrefix("usage: ") }, "\(run)")
  }

  private func base64(_ value: Any?) -> String? {
    (value as? [String: Any])?["base64"] as? String
  }
}
