import Foundation
import KQTestSupport
import Testing

/// Issue 12, locally, with the built kq: `produce --compression`, `compression.type`, and every
/// way of reading (plain, --json, %-formats, seeks by offset and time, groups, --exec) over
/// compressed batches, with retention, a torn compressed tail, and a damaged stream.
@Suite("compressed topics end to end")
struct CompressionTests {
  static let codecs = ["gzip", "snappy", "lz4", "zstd"]

  /// `count` log lines as JSON Lines, record i at timestamp 1000 + 10·i, keyed by host. Topics
  /// that take later appends keep records forever: retention.ms would remove these old ones.
  static func produceJSON(_ count: Int, codec: String, topic: String = "t", extra: String = "") -> String {
    "awk 'BEGIN { for (i = 0; i < \(count); i++) printf \"{\\\"key\\\":\\\"h%d\\\",\\\"value\\\":\\\"GET /item/%d 200 %d ms\\\",\\\"timestamp\\\":%d}\\n\", i % 4, i, i % 97, 1000 + 10 * i }' "
      + "| kq produce \(topic) --json --compression \(codec) \(extra)"
  }

  static func codecBytes(_ kq: KQSandbox, topic: String = "t") throws -> [String: Int64] {
    let object = try JSON.object(try kq.ok("describe", topic, "--json").output)
    let partition = try #require((object["partitions"] as? [[String: Any]])?.first)
    let codecs = try #require(partition["codecs"] as? [String: Any])
    return codecs.compactMapValues { JSON.int($0) }
  }

  @Test("records produced with --compression read back exactly, in every format and from any offset or time inside a batch",
    arguments: codecs)
  func roundTrip(codec: String) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    #expect(try kq.shell(Self.produceJSON(5000, codec: codec)).status == 0)
    if !TestBackend.isCluster {  // a cluster's describe has no bytes per codec (ClusterCompressionTests)
      let codecs = try Self.codecBytes(kq)
      #expect(Set(codecs.keys) == [codec], "\(codecs)")
      let bytes = try #require(codecs[codec])
      #expect(bytes < 5000 * 20, "\(bytes) bytes stored for 5000 records of ~40 bytes")
    }
    let plain = try kq.ok("consume", "t").lines
    #expect(plain.count == 5000)
    #expect(plain.first == "GET /item/0 200 0 ms" && plain.last == "GET /item/4999 200 52 ms")
    #expect(try kq.ok("consume", "t", "--from", "1234", "-n", "2").lines == ["GET /item/1234 200 70 ms", "GET /item/1235 200 71 ms"])
    #expect(try kq.ok("consume", "t", "--from", "@31005", "-n", "1", "--format", "%o %k %T\\n").lines == ["3001 h1 31010"])
    let json = try kq.records("t", "--from", "4998")
    #expect(json.map { JSON.int($0["offset"]) } == [4998, 4999])
    #expect(json.map { $0["key"] as? String } == ["h2", "h3"])
    #expect(try kq.ok("consume", "t", "--until", "3", "-0").output == "GET /item/0 200 0 ms\0GET /item/1 200 1 ms\0GET /item/2 200 2 ms\0")
    if !TestBackend.isCluster {
      let describe = try kq.ok("describe", "t").output
      #expect(describe.contains("\(codec) 100%"), "\(describe)")
    }
  }

  @Test("a group reads a compressed topic in parts and with --exec, committing exactly what it delivered",
    arguments: ["lz4", "zstd"])
  func groups(codec: String) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    #expect(try kq.shell(Self.produceJSON(3000, codec: codec)).status == 0)
    #expect(try kq.ok("consume", "t", "--group", "g", "-n", "1111").lines.last == "GET /item/1110 200 43 ms")
    #expect(try kq.committed("g", topic: "t") == [1111])
    #expect(try kq.shell("kq consume t --group g --batch 500 --exec 'cat >> out'").status == 0)
    let loaded = kq.read("out").split(separator: "\n")
    #expect(loaded.count == 1889 && loaded.first == "GET /item/1111 200 44 ms" && loaded.last == "GET /item/2999 200 89 ms")
    #expect(try kq.committed("g", topic: "t") == [3000])
  }

  @Test("a topic's compression.type replaces the producer's codec; producer keeps it", .localOnly("checks describe's bytes per codec, which a cluster does not report (ClusterCompressionTests check the codecs with kafka-python)"))
  func topicCodecWins() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--retention", "forever", "--config", "compression.type=zstd")
    #expect(try kq.shell(Self.produceJSON(500, codec: "gzip")).status == 0)
    #expect(Set(try Self.codecBytes(kq).keys) == ["zstd"])
    try kq.ok("topic", "alter", "t", "--config", "compression.type=uncompressed")
    #expect(try kq.shell(Self.produceJSON(500, codec: "gzip")).status == 0)
    #expect(Set(try Self.codecBytes(kq).keys) == ["zstd", "none"])
    try kq.ok("topic", "alter", "t", "--config", "compression.type=producer")
    #expect(try kq.shell(Self.produceJSON(500, codec: "snappy")).status == 0)
    #expect(Set(try Self.codecBytes(kq).keys) == ["zstd", "none", "snappy"])
    #expect(try kq.ok("consume", "t").lines.count == 1500)
    let refused = try kq.run("produce", "t", "--compression", "brotli", stdin: "x\n")
    #expect(refused.status == 64 && refused.firstErrorLine == "kq: error: invalid value 'brotli' for '--compression' (hint: use none, gzip, snappy, lz4 or zstd)", "\(refused)")
    let badConfig = try kq.run("topic", "alter", "t", "--config", "compression.type=none")
    #expect(badConfig.status == 64, "\(badConfig)")
  }

  @Test("retention removes whole compressed segments; the rest reads from the new log start", .localOnly("retention by size deleting segment files; Tansu 0.6.0 applies no retention"), arguments: ["gzip", "lz4"])
  func retention(codec: String) throws {
    let kq = try KQSandbox()
    try kq.ok(
      "topic", "create", "t", "--retention", "forever", "--config", "segment.bytes=8KiB", "--config", "retention.bytes=16KiB")
    #expect(try kq.shell(Self.produceJSON(20000, codec: codec)).status == 0)
    let object = try JSON.object(try kq.ok("describe", "t", "--json").output)
    let partition = try #require((object["partitions"] as? [[String: Any]])?.first)
    let start = try #require(JSON.int(partition["log_start_offset"]))
    #expect(start > 0 && JSON.int(partition["end_offset"]) == 20000, "\(partition)")
    let lines = try kq.ok("consume", "t").lines
    #expect(lines.count == 20000 - Int(start) && lines.first == "GET /item/\(start) 200 \(start % 97) ms")
  }

  @Test("a batch with a codec holds up to 256 KiB of records (twice a plain batch), never more than max.message.bytes, and reads back whole",
    .localOnly("reads the batch headers of a segment file"), arguments: codecs)
  func compressedBatchSize(codec: String) throws {
    let kq = try KQSandbox()
    // 20,000 lines of 100 bytes: 2 MB, so eight batches of 256 KiB and a short one.
    let lines = (0..<20_000).map { String(format: "line %06d ", $0) + String(repeating: "x", count: 87) + "\n" }.joined()
    try ByteSurgery.write(Array(lines.utf8), to: kq.file("in.txt"))
    try kq.ok("topic", "create", "t")
    try kq.ok("topic", "create", "small", "--config", "max.message.bytes=100KiB")
    for topic in ["t", "small"] {
      #expect(try kq.shell("kq produce \(topic) --compression \(codec) < '\(kq.file("in.txt"))'").status == 0)
      #expect(try kq.ok("consume", topic).output == lines)
      // To a regular file the consumer writes itself while its reader decodes on a thread.
      #expect(try kq.shell("kq consume \(topic) > '\(kq.file("out.txt"))'").status == 0)
      #expect(try ByteSurgery.read(kq.file("out.txt")) == Array(lines.utf8))
    }
    let counts = try Batches.scan(kq.path + "/t-0/00000000000000000000.log").map { Int($0.header.recordCount) }
    // A record of a 99-byte value takes 108 bytes in a batch, so 256 KiB holds 2,427 of them.
    #expect(counts.count == 9 && counts.allSatisfy { $0 <= 2_427 } && counts.dropLast().allSatisfy { $0 > 2_000 }, "\(counts)")
    let small = try Batches.scan(kq.path + "/small-0/00000000000000000000.log").map { Int($0.header.recordCount) }
    #expect(small.count > 20 && small.allSatisfy { $0 <= 100 * 1024 / 108 }, "\(small)")
  }

  @Test("a compressed last batch cut short is a torn tail: readers stop before it, the next producer cuts it and appends", .localOnly("cuts a segment file short"),
    arguments: codecs)
  func tornTail(codec: String) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--retention", "forever")
    // From a file, not awk's pipe: mawk writes 4096 bytes and then the rest, and a kq that reads
    // the first part before the rest comes flushes it as a batch of its own (seen under load).
    let produce = Self.produceJSON(100, codec: codec).replacingOccurrences(of: "' | kq", with: "' > in.json && kq") + " < in.json"
    // The second unsynced, as a killed writer's last batch is: a tail torn below what was
    // synced is synced records lost, which stops the next writer (DamageTests).
    let unsynced = Self.produceJSON(100, codec: codec, extra: "--sync none").replacingOccurrences(of: "' | kq", with: "' > in.json && kq") + " < in.json"
    #expect(try kq.shell(produce + " && " + unsynced).status == 0)
    let log = kq.path + "/t-0/00000000000000000000.log"
    let batches = try Batches.scan(log)
    try #require(batches.count == 2)
    try ByteSurgery.truncate(log, to: batches[1].position + batches[1].header.size / 2)
    #expect(try kq.ok("consume", "t").lines.count == 100)
    try kq.ok("produce", "t", "--compression", codec, stdin: "after\n")
    let lines = try kq.ok("consume", "t", "--from", "99").lines
    #expect(lines == ["GET /item/99 200 2 ms", "after"])
  }

  @Test("a compressed stream of garbage under a valid CRC is damage: exit 74 naming file, byte and offset, records before it written", .localOnly("rewrites a batch in a segment file"),
    arguments: codecs)
  func damagedStream(codec: String) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    for _ in 0..<3 { #expect(try kq.shell(Self.produceJSON(100, codec: codec)).status == 0) }
    let log = kq.path + "/t-0/00000000000000000000.log"
    let second = try #require(try Batches.scan(log).dropFirst().first)
    // The middle of the compressed section, CRC stored anew: a bad writer, not a bad disk.
    try ByteSurgery.rewriteBatch(
      log, batch: second.position, at: 61 + (second.header.size - 61) / 2, with: [UInt8](repeating: 0xff, count: 24))
    for format in [["consume", "t"], ["consume", "t", "--json"], ["consume", "t", "--format", "%s\\n"]] {
      let result = try kq.run(format, stdin: [])
      #expect(result.status == 74, "\(format): \(result)")
      #expect(result.lines.count == 100, "\(format): \(result)")
      #expect(
        result.firstErrorLine.hasPrefix(
          "kq: error: corrupt record batch in \(log) at byte \(second.position): the compressed records of the batch at offset 100 do not decode: "),
        "\(result.firstErrorLine)")
    }
    // verify decodes compressed batches too: the CRC holds, the records do not.
    let found = try kq.run("verify")
    #expect(found.status == 74, "\(found)")
    #expect(
      found.output.hasPrefix("t-0: damaged record batch in \(log) at byte \(second.position): the compressed records of the batch at offset 100 do not decode"),
      "\(found)")
    #expect(found.output.contains("offsets 100 to 199 cannot be read"), "\(found)")
    #expect(try kq.run("verify", "--repair").status == 74)
    #expect(try kq.ok("verify").output.contains("no problems"))
    try kq.ok("produce", "t", stdin: "after\n")
    #expect(try kq.ok("consume", "t", "--from", "200").lines == ["after"])
  }

  @Test("a damaged lz4 batch the reader decodes ahead on its thread: exit 74 at its byte and offset, every record before it written; -n 1 and a topic mixing codecs read exactly", .localOnly("rewrites a batch in a segment file"))
  func damageDecodedAhead() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    for codec in ["lz4", "lz4", "none", "lz4", "lz4", "lz4", "none", "lz4"] {
      #expect(try kq.shell(Self.produceJSON(100, codec: codec)).status == 0)
    }
    let all = try kq.ok("consume", "t").lines
    #expect(all.count == 800 && all[0] == "GET /item/0 200 0 ms" && all[799] == "GET /item/99 200 2 ms")
    #expect(try kq.ok("consume", "t", "-n", "1").lines == ["GET /item/0 200 0 ms"])
    #expect(try kq.ok("consume", "t", "--from", "350", "-n", "3").lines == Array(all[350..<353]))
    #expect(try kq.ok("consume", "t", "--from", "250", "--until", "651").lines == Array(all[250..<651]))
    let log = kq.path + "/t-0/00000000000000000000.log"
    // An lz4 batch past the fourth (the reader's thread decodes from the third batch on).
    let batches = try Batches.scan(log)
    #expect(batches.count >= 8)
    let damaged = try #require(batches.dropFirst(4).first { $0.header.codecBits == 3 && $0.header.baseOffset >= 500 })
    let base = Int(damaged.header.baseOffset)
    try ByteSurgery.rewriteBatch(
      log, batch: damaged.position, at: 61 + (damaged.header.size - 61) / 2, with: [UInt8](repeating: 0xff, count: 24))
    let result = try kq.run(["consume", "t"], stdin: [])
    #expect(result.status == 74, "\(result)")
    #expect(result.lines == Array(all[0..<base]))
    #expect(
      result.firstErrorLine.hasPrefix(
        "kq: error: corrupt record batch in \(log) at byte \(damaged.position): the compressed records of the batch at offset \(base) do not decode: "),
      "\(result.firstErrorLine)")
  }
}
