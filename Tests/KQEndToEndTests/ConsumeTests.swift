import Foundation
import KQTestSupport
import Testing

/// `kq consume` start and stop positions, partition choice, limits and output formats.
@Suite("consume positions and formats")
struct ConsumeTests {
  /// A 3-partition topic "c" with values pP-I at offsets 0...4 of each partition, timestamps
  /// 1_700_000_000_000 + I seconds.
  static func threePartitions() throws -> KQSandbox {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "c", "--partitions", "3")
    var input = ""
    for partition in 0..<3 {
      for index in 0..<5 {
        input += #"{"value":"p\#(partition)-\#(index)","partition":\#(partition),"timestamp":\#(base + Int64(index) * 1000)}"# + "\n"
      }
    }
    try kq.ok("produce", "c", "--json", stdin: input)
    return kq
  }

  static let base: Int64 = 1_700_000_000_000

  /// `partition:offset` of each record consume prints with `arguments`.
  static func positions(_ kq: KQSandbox, _ arguments: String...) throws -> String {
    let result = try kq.run(["consume", "c", "--format", "%p:%o "] + arguments, stdin: [])
    return try result.checked().output
  }

  @Test("--from beginning, end, OFFSET and -N start each partition where they say")
  func fromPositions() throws {
    let kq = try Self.threePartitions()
    #expect(try Self.positions(kq) == "0:0 0:1 0:2 0:3 0:4 1:0 1:1 1:2 1:3 1:4 2:0 2:1 2:2 2:3 2:4 ")
    #expect(try Self.positions(kq, "--from", "beginning") == Self.positions(kq))
    #expect(try Self.positions(kq, "--from", "end") == "")
    #expect(try Self.positions(kq, "--from", "3") == "0:3 0:4 1:3 1:4 2:3 2:4 ")
    #expect(try Self.positions(kq, "--from", "-2") == "0:3 0:4 1:3 1:4 2:3 2:4 ")
    #expect(try Self.positions(kq, "--from", "-99") == Self.positions(kq))
    #expect(try Self.positions(kq, "--from", "99") == "")
  }

  @Test("--from TIME and @MILLIS start at the first record at or after that time")
  func fromTime() throws {
    let kq = try Self.threePartitions()
    let expected = "0:2 0:3 0:4 1:2 1:3 1:4 2:2 2:3 2:4 "
    #expect(try Self.positions(kq, "--from", "@\(Self.base + 2000)") == expected)
    #expect(try Self.positions(kq, "--from", "@\(Self.base + 1500)") == expected)
    #expect(try Self.positions(kq, "--from", "2023-11-14T22:13:22Z") == expected)
    #expect(try Self.positions(kq, "--from", "@\(Self.base + 9000)") == "")
  }

  @Test("--since DURATION starts at records of the last DURATION")
  func since() throws {
    let kq = try Self.threePartitions()
    try kq.ok("produce", "c", "-p", "1", stdin: "now\n")
    #expect(try Self.positions(kq, "--since", "1h") == "1:5 ")
    #expect(try Self.positions(kq, "--since", "36500d") == Self.positions(kq))
  }

  @Test("--until OFFSET and --until TIME stop each partition before them")
  func until() throws {
    let kq = try Self.threePartitions()
    #expect(try Self.positions(kq, "--until", "2") == "0:0 0:1 1:0 1:1 2:0 2:1 ")
    #expect(try Self.positions(kq, "--until", "@\(Self.base + 3000)") == "0:0 0:1 0:2 1:0 1:1 1:2 2:0 2:1 2:2 ")
    #expect(try Self.positions(kq, "--from", "1", "--until", "3") == "0:1 0:2 1:1 1:2 2:1 2:2 ")
  }

  @Test("-p chooses partitions (comma list or repeated) and -n stops after N records")
  func partitionsAndMax() throws {
    let kq = try Self.threePartitions()
    #expect(try Self.positions(kq, "-p", "0,2") == "0:0 0:1 0:2 0:3 0:4 2:0 2:1 2:2 2:3 2:4 ")
    #expect(try Self.positions(kq, "-p", "2", "--partition", "0") == "2:0 2:1 2:2 2:3 2:4 0:0 0:1 0:2 0:3 0:4 ")
    #expect(try Self.positions(kq, "-p", "1", "-n", "2") == "1:0 1:1 ")
    #expect(try Self.positions(kq, "--max", "7").split(separator: " ").count == 7)
    let missing = try kq.run("consume", "c", "-p", "3")
    #expect(missing.status == 64 && missing.firstErrorLine.hasPrefix("kq: error: topic 'c' has no partition 3"), "\(missing)")
  }

  @Test("--format renders every kcat token and escape")
  func formatTokens() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "f", "--partitions", "2")
    try kq.ok("produce", "f", "-p", "1", "-K", ":", "-H", "h=1", "-H", "g=", "--timestamp", "@1234", stdin: "key:value\n")
    try kq.ok("produce", "f", "-p", "1", "-Z", "--timestamp", "@99", stdin: "\n")
    let format = "%t|%p|%o|%k|%s|%v|%S|%K|%T|%h|%%\\t\\\\\\x41\\n"
    let result = try kq.ok("consume", "f", "--format", format)
    #expect(result.output == "f|1|0|key|value|value|5|3|1234|h=1,g=|%\t\\A\n" + "f|1|1||||-1|-1|99||%\t\\A\n")
    for (format, what) in [("%q", "unknown token '%q'"), ("%v\\q", "unknown escape '\\q'"), ("%v%", "a lone '%' at the end"),
                           ("%v\\", "a lone '\\' at the end")] {
      let bad = try kq.run("consume", "f", "--format", format)
      #expect(bad.status == 64 && bad.output == "" && bad.firstErrorLine.contains(what), "\(bad)")
    }
    let carriage = try kq.ok("consume", "f", "-n", "1", "--format", "%v\\r\\0|")
    #expect(carriage.output == "value\r\0|")
  }

  @Test("--json through produce --json copies keys, values (binary too), headers and timestamps exactly")
  func jsonRoundTrip() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "src", "--partitions", "3")
    try kq.ok("topic", "create", "dst", "--partitions", "3")
    var generator = SeededGenerator(seed: 7)
    var input: [UInt8] = []
    for index in 0..<60 {
      let value = generator.bytes(count: Int.random(in: 0...40, using: &generator))
      let key = index % 5 == 0 ? "null" : #"{"base64":"\#(Data(generator.bytes(count: 6)).base64EncodedString())"}"#
      let headers = index % 3 == 0 ? #"[["a","1"],["b",null],["a","\u00e9"]]"# : "[]"
      let valueJSON = index % 7 == 0 ? "null" : #"{"base64":"\#(Data(value).base64EncodedString())"}"#
      let line = #"{"key":\#(key),"value":\#(valueJSON),"headers":\#(headers),"partition":\#(index % 3),"timestamp":\#(1_600_000_000_000 + index)}"#
      input += Array((line + "\n").utf8)
    }
    input += Array(#"{"key":"ключ","value":"text\nwith\tescapes \"quoted\"","partition":0,"timestamp":7}"#.utf8) + [10]
    try kq.run(["produce", "src", "--json"], stdin: input).checked()
    try kq.shell("kq consume src --json | kq produce dst --json").checked()
    let source = try kq.ok("consume", "src", "--json").output
    let copy = try kq.ok("consume", "dst", "--json").output
    #expect(source.split(separator: "\n").count == 61)
    #expect(copy.replacingOccurrences(of: #"{"topic":"dst","#, with: #"{"topic":"src","#) == source)
  }

  @Test("-0 writes each value followed by a NUL byte")
  func nulOutput() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", "-0", stdin: "a\nb\0\0c")
    #expect(try kq.ok("consume", "t", "-0").stdout == Array("a\nb\0\0c\0".utf8))
  }

  @Test("consuming a missing topic exits 66 and an existing empty one prints nothing")
  func missingAndEmpty() throws {
    let kq = try KQSandbox()
    let missing = try kq.run("consume", "nope")
    #expect(missing.status == 66 && missing.firstErrorLine.hasPrefix("kq: error: topic 'nope' does not exist"), "\(missing)")
    try kq.ok("topic", "create", "empty")
    let empty = try kq.run("consume", "empty")
    #expect(empty.status == 0 && empty.stdout.isEmpty && empty.stderr.isEmpty, "\(empty)")
  }
}
