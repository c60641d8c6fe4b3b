import KQTestSupport
import Testing

/// `kq produce` framing and flags, checked by reading the records back with `consume --json`.
@Suite("produce framing and flags")
struct ProduceTests {
  @Test("each line is a record: a last line without a newline counts, an empty line is an empty value, \\r is kept")
  func lineFraming() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "logs", "--create", stdin: "a\nb\r\n\nc")
    let records = try kq.records("logs")
    #expect(records.map { JSON.field($0["value"]) } == ["a", "b\r", "", "c"])
    #expect(records.map { JSON.isNull($0["key"]) } == [true, true, true, true])
  }

  @Test("-0 reads NUL-terminated records: an empty record between NULs counts, a final NUL starts none")
  func nulFraming() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "files", "--create", "-0", stdin: "a\0\0b\nc\0")
    try kq.ok("produce", "files", "--null", stdin: "x\0y")
    let values = try kq.records("files").map { JSON.field($0["value"]) }
    #expect(values == ["a", "", "b\nc", "x", "y"])
  }

  @Test("--json keeps header order, repeated names and null header values")
  func jsonHeaders() throws {
    let kq = try KQSandbox()
    let line = #"{"key":"k","value":"v","headers":[["h","1"],["g","2"],["h","3"],["n",null]]}"#
    try kq.ok("produce", "t", "--create", "--json", stdin: line + "\n")
    let record = try #require(try kq.records("t").first)
    #expect(JSON.headers(record["headers"]) == [["h", "1"], ["g", "2"], ["h", "3"], ["n", nil]])
    #expect(JSON.field(record["key"]) == "k" && JSON.field(record["value"]) == "v")
  }

  @Test("--json takes base64 and null keys and values, and the partition and timestamp fields")
  func jsonFields() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "3")
    let input = """
      {"key":{"base64":"AP+A"},"value":{"base64":"gAE="},"partition":2,"timestamp":1700000000123}
      {"key":null,"value":null,"partition":1,"timestamp":5}

      {"value":"plain","headers":{"x":"y","z":"w"},"partition":0,"timestamp":1700000000000}
      """
    let produced = try kq.ok("produce", "t", "--json", "--print-offsets", stdin: input)
    #expect(produced.output == "2 0\n1 0\n0 0\n")
    let records = try kq.records("t")
    #expect(records.map { JSON.int($0["partition"]) } == [0, 1, 2])
    #expect(records.map { JSON.int($0["timestamp"]) } == [1_700_000_000_000, 5, 1_700_000_000_123])
    #expect(records.map { JSON.field($0["key"]) } == [nil, nil, "base64:AP+A"])
    #expect(records.map { JSON.field($0["value"]) } == ["plain", nil, "base64:gAE="])
    #expect(JSON.headers(records[0]["headers"]) == [["x", "y"], ["z", "w"]])
  }

  @Test("-K splits key from value at the first delimiter, of one byte or more; a line without it has a null key")
  func keyDelimiter() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", "-K", ":", stdin: "user:a:b\nplain\n:empty-key\n")
    let records = try kq.records("t")
    #expect(records.map { JSON.field($0["key"]) } == ["user", nil, ""])
    #expect(records.map { JSON.field($0["value"]) } == ["a:b", "plain", "empty-key"])
    try kq.ok("produce", "m", "--create", "-K", "::", stdin: "user::a::b\nu:v\n::x\nw::\n")
    let split = try kq.records("m")
    #expect(split.map { JSON.field($0["key"]) } == ["user", nil, "", "w"])
    #expect(split.map { JSON.field($0["value"]) } == ["a::b", "u:v", "x", ""])
  }

  @Test("--key gives every record one key, and -H adds repeatable headers in order")
  func fixedKeyAndHeaders() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", "--key", "K1", "-H", "a=1", "-H", "b=2", "--header", "a=3", stdin: "x\ny\n")
    let records = try kq.records("t")
    #expect(records.map { JSON.field($0["key"]) } == ["K1", "K1"])
    #expect(records.map { JSON.headers($0["headers"]) } == Array(repeating: [["a", "1"], ["b", "2"], ["a", "3"]], count: 2))
  }

  @Test("-Z stores empty values as null (tombstones) and keeps other values")
  func emptyAsNull() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", "-Z", stdin: "x\n\ny\n")
    let formatted = try kq.ok("consume", "t", "--format", "%S:%s\n")
    #expect(formatted.output == "1:x\n-1:\n1:y\n")
  }

  @Test("-p writes every record to one partition, and --print-offsets prints 'PARTITION OFFSET' per record")
  func partitionAndPrintOffsets() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "3")
    try kq.ok("produce", "t", "-p", "1", stdin: "a\nb\n")
    let produced = try kq.ok("produce", "t", "--partition", "1", "--print-offsets", stdin: "c\nd\ne")
    #expect(produced.output == "1 2\n1 3\n1 4\n")
    #expect(produced.errors == "")
    #expect(try kq.ok("consume", "t", "--format", "%p %o %s\n").output == "1 0 a\n1 1 b\n1 2 c\n1 3 d\n1 4 e\n")
  }

  @Test("--timestamp gives every record that timestamp")
  func fixedTimestamp() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "t", "--create", "--timestamp", "2024-05-01T09:00:00Z", stdin: "a\n")
    try kq.ok("produce", "t", "--timestamp", "@42", stdin: "b\n")
    #expect(try kq.ok("consume", "t", "--format", "%T %s\n").output == "1714554000000 a\n42 b\n")
  }

  @Test("empty input stores nothing, prints nothing and exits 0")
  func emptyInput() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    let produced = try kq.run("produce", "t", "--print-offsets", stdin: "")
    #expect(produced.status == 0 && produced.output == "" && produced.errors == "", "\(produced)")
    let described = try JSON.object(try kq.ok("describe", "t", "--json").output)
    let partition = try #require((described["partitions"] as? [[String: Any]])?.first)
    #expect(JSON.int(partition["end_offset"]) == 0 && JSON.int(partition["records"]) == 0)
  }

  @Test("--create makes a missing topic with one partition; without it a missing topic exits 66 with a hint")
  func missingTopic() throws {
    let kq = try KQSandbox()
    let refused = try kq.run("produce", "nope", stdin: "a\n")
    #expect(refused.status == 66, "\(refused)")
    #expect(refused.firstErrorLine.hasPrefix("kq: error: topic 'nope' does not exist (hint: "), "\(refused)")
    #expect(refused.errors.contains("kq topic create nope") && refused.errors.contains("--create"))
    try kq.ok("produce", "nope", "--create", stdin: "a\n")
    #expect(try kq.ok("topic", "list").output == "nope\n")
    let config = try JSON.object(try kq.ok("describe", "nope", "--json").output)["config"] as? [String: Any]
    #expect(JSON.int(config?["partitions"]) == 1)
    // With -p N the new topic has partition N, instead of being made and then refused.
    try kq.ok("produce", "pinned", "--create", "-p", "3", stdin: "b\n")
    #expect(try kq.ok("consume", "pinned", "-p", "3").output == "b\n")
    let pinned = try JSON.object(try kq.ok("describe", "pinned", "--json").output)["config"] as? [String: Any]
    #expect(JSON.int(pinned?["partitions"]) == 4)
  }

  @Test("a record over max.message.bytes exits 65 naming its line; the records before it are kept")
  func recordTooLarge() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "small", "--config", "max.message.bytes=1000")
    let big = String(repeating: "x", count: 5000)
    let produced = try kq.run("produce", "small", stdin: "one\ntwo\n\(big)\nfour\n")
    #expect(produced.status == 65, "\(produced)")
    #expect(produced.output == "")
    let line = produced.firstErrorLine
    let pattern = /kq: error: line 3: record of (\d+) bytes exceeds max\.message\.bytes \(1000\); 2 records before it were stored( \(hint: .+\))?/
    let match = try #require(line.wholeMatch(of: pattern), "\(produced)")
    #expect((Int(match.1) ?? 0) > 5000)
    #expect(try kq.ok("consume", "small").output == "one\ntwo\n")
  }

  @Test("a malformed --json line exits 65 naming its line; the records before it are kept")
  func malformedJSON() throws {
    let kq = try KQSandbox()
    let input = "{\"value\":\"one\"}\n{\"value\":\"two\"}\n{\"value\":\"three\"}\n{\"value\": tru}\n{\"value\":\"five\"}\n"
    let produced = try kq.run("produce", "t", "--create", "--json", stdin: input)
    #expect(produced.status == 65, "\(produced)")
    #expect(produced.firstErrorLine.hasPrefix("kq: error: line 4: "), "\(produced)")
    #expect(produced.firstErrorLine.contains("3 records before it were stored"), "\(produced)")
    #expect(try kq.ok("consume", "t").output == "one\ntwo\nthree\n")
  }

  @Test("a --json partition the topic lacks exits 65 naming the line")
  func jsonPartitionOutOfRange() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "2")
    let produced = try kq.run("produce", "t", "--json", stdin: "{\"value\":\"a\",\"partition\":1}\n{\"value\":\"b\",\"partition\":2}\n")
    #expect(produced.status == 65, "\(produced)")
    #expect(produced.firstErrorLine.hasPrefix("kq: error: line 2: partition 2 does not exist"), "\(produced)")
    #expect(try kq.ok("consume", "t").output == "a\n")
  }
}
