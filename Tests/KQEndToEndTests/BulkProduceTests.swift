import Foundation
import KQTestSupport
import Testing

/// Produce of bulk input through a real pipe, many 1 MiB flushes long: what comes back is the
/// input, in order per partition.
@Suite("bulk produce")
struct BulkProduceTests {
  /// 40,000 lines of 100 bytes (4 MB): four bulk flushes and a last one.
  static let makeLines = "awk 'BEGIN { for (i = 0; i < 40000; i++) printf \"%09d%090d\\n\", i, i % 977 }' > lines"

  /// A producer into a new topic t, with `arguments`, fed the 40,000 lines and still waiting for
  /// more once every one of them is readable; the lines.
  static func producerAfterBulkInput(_ kq: KQSandbox, _ arguments: String...) throws -> (KQProcess.Running, String) {
    try kq.shell(makeLines).checked()
    try kq.ok("topic", "create", "t")
    let lines = kq.read("lines")
    let producer = try kq.start(["produce", "t"] + arguments)
    producer.write(lines)
    let stored = eventually(timeout: 60) { (try? kq.run("consume", "t").output) == lines }
    #expect(stored, "the bulk input was not all readable while kq waited for more")
    return (producer, lines)
  }

  @Test("piped lines come back byte for byte, plain and lz4, and verify finds nothing wrong")
  func plainAndCompressed() throws {
    let kq = try KQSandbox()
    try kq.shell(Self.makeLines + " && cat lines | kq produce plain --create && kq consume plain > out && cmp lines out").checked()
    try kq.shell("cat lines | kq produce packed --create --compression lz4 --sync none && kq consume packed > out && cmp lines out")
      .checked()
    try kq.shell("cat lines | kq produce plain --sync batch && kq consume plain --from 40000 > out && cmp lines out").checked()
    if !TestBackend.isCluster {  // kq verify checks a data directory only
      let verified = try kq.ok("verify")
      #expect(verified.output.contains("no problems"), "\(verified)")
    }
  }

  /// Topic k's records ("KEY:VALUE") by partition, checked against the file `keyed` it was
  /// produced from: 40,000 records, each partition holding its keys' lines in input order.
  static func storedByPartition(_ kq: KQSandbox) throws -> [Substring: [Substring]] {
    let stored = try kq.shell("kq consume k --format '%p %k:%v\\n'").checked().output.split(separator: "\n")
    #expect(stored.count == 40_000)
    var byPartition: [Substring: [Substring]] = [:]
    for line in stored {
      let space = try #require(line.firstIndex(of: " "))
      byPartition[line[..<space], default: []].append(line[line.index(after: space)...])
    }
    let input = kq.read("keyed").split(separator: "\n")
    var expected: [Substring: [Substring]] = [:]
    for (partition, records) in byPartition {
      let keys = Set(records.map { $0.prefix { $0 != ":" } })
      expected[partition] = input.filter { keys.contains($0.prefix { $0 != ":" }) }
    }
    #expect(byPartition == expected)
    return byPartition
  }

  @Test("keyed lines into 4 partitions: every record once, each partition in input order")
  func keyed() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "k", "--partitions", "4")
    try kq.shell(Self.makeLines + " && awk '{ print \"user\" (NR % 97) \":\" $0 }' lines > keyed && cat keyed | kq produce k -K :")
      .checked()
    let byPartition = try Self.storedByPartition(kq)
    #expect(byPartition.count > 1)
  }

  @Test("keyed lines through the fast path and through the general one (--print-offsets) store the same records at the same offsets")
  func keyedFastPathMatchesGeneral() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "fast", "--partitions", "8")
    try kq.ok("topic", "create", "general", "--partitions", "8")
    // CRLF, empty keys and values, a ':' in a value, a line longer than a batch, a pause in
    // the input, and no newline at the end.
    try kq.shell(
      Self.makeLines
        + #" && awk '{ k = "user" (NR % 97); if (NR % 1000 == 1) print k ":" $0 "\r"; else if (NR % 1000 == 2) print ":" $0; "#
        + #"else if (NR % 1000 == 3) print k ":"; else if (NR % 1000 == 4) print k ":a:b"; else print k ":" $0 }' lines > keyed"#
        + " && { printf 'big:'; head -c 200000 /dev/zero | tr '\\0' z; echo; } >> keyed && printf 'last:no newline' >> keyed"
        + " && { head -n 20000 keyed; sleep 0.2; tail -n +20001 keyed; } | kq produce fast -K :"
        + " && cat keyed | kq produce general -K : --print-offsets > offsets"
    ).checked()
    let fast = try kq.shell("kq consume fast --format '%p %o %k:%v\n' | LC_ALL=C sort").checked().output
    let general = try kq.shell("kq consume general --format '%p %o %k:%v\n' | LC_ALL=C sort").checked().output
    #expect(fast.utf8.split(separator: 10).count == 40_002)
    #expect(fast == general)  // sorted: consume interleaves partitions as their batches come
  }

  @Test("plain lines with -H headers keep them, and each partition's batches hold the lines in order")
  func headersOnPlainLines() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "h", "--create", "-H", "src=x", "-H", "flag", stdin: "a\n\nb")
    let stored = try kq.shell("kq consume h --format '%h|%v\n'").checked()
    #expect(stored.lines == ["src=x,flag=|a", "src=x,flag=|", "src=x,flag=|b"])
  }

  @Test(
    "compressed keyed lines through a pipe: every record once, in input order per partition, and verify finds nothing wrong",
    arguments: [("lz4", 8, "1MiB"), ("zstd", 64, "1MiB"), ("lz4", 3, "300")])
  func keyedCompressed(codec: String, partitions: Int, maxMessageBytes: String) throws {
    // Full batches of every partition are compressed on the producer's second thread while it
    // reads on; a max.message.bytes of 300 makes every batch hold a record or two.
    let kq = try KQSandbox()
    try kq.ok(
      "topic", "create", "k", "--partitions", String(partitions), "--config", "max.message.bytes=" + maxMessageBytes)
    try kq.shell(
      Self.makeLines + " && awk '{ print \"user\" (NR % 997) \":\" $0 }' lines > keyed && cat keyed | kq produce k -K : --compression "
        + codec
    ).checked()
    let byPartition = try Self.storedByPartition(kq)
    #expect(byPartition.count == partitions)
    if !TestBackend.isCluster {  // describe's codec mix and kq verify read a data directory
      let described = try kq.ok("describe", "k").output
      #expect(described.contains(codec + " "), "\(described)")
      let verified = try kq.ok("verify")
      #expect(verified.output.contains("no problems"), "\(verified)")
    }
  }

  @Test("compressed bulk input that pauses: every record before the pause can be read while kq waits, the rest at the end")
  func compressedBulkThenPause() throws {
    // Bulk flushes with a codec leave their batches to the next flush (compressed meanwhile on
    // the second thread); input that stops coming must not keep the last of them back.
    let kq = try KQSandbox()
    let (producer, lines) = try Self.producerAfterBulkInput(kq, "--compression", "lz4", "--sync", "none")
    producer.write("the last line\n")
    producer.closeInput()
    let finished = try producer.finish()
    #expect(finished.status == 0, "\(finished)")
    let all = try kq.ok("consume", "t").output
    #expect(all == lines + "the last line\n")
  }

  @Test("a malformed --json line after megabytes of compressed records exits 65; exactly the records before it are stored")
  func compressedJSONErrorMidStream() throws {
    let kq = try KQSandbox()
    try kq.shell(
      Self.makeLines + " && awk '{ print \"{\\\"value\\\":\\\"\" $0 \"\\\"}\" }' lines > records.json"
        + " && (cat records.json; echo '{\"value\": tru}'; head -5 records.json) > input.json"
    ).checked()
    let produced = try kq.shell("cat input.json | kq produce t --create --json --compression lz4")
    #expect(produced.status == 65, "\(produced)")
    #expect(produced.firstErrorLine.hasPrefix("kq: error: line 40001: "), "\(produced)")
    #expect(produced.firstErrorLine.contains("40000 records before it were stored"), "\(produced)")
    try kq.shell("kq consume t > out && cmp lines out").checked()
  }

  @Test("bulk input that pauses, then single lines: each is readable while kq waits for the next, and a topic deleted then costs exactly what was stored", .localOnly("Tansu 0.6.0 acknowledges an append to a deleted topic (ClusterTopicDeletionTests)"))
  func bulkThenSingleLinesThenDeletion() throws {
    // Input that stops coming after bulk flushes must have every flush appended (one still in
    // flight, where flushes overlap the reading, included) and the rest appended at once.
    let kq = try KQSandbox()
    let (producer, lines) = try Self.producerAfterBulkInput(kq, "--sync", "none")
    var expected = lines
    for index in 0..<3 {
      producer.write("single \(index)\n")
      expected += "single \(index)\n"
      #expect(eventually { (try? kq.run("consume", "t").output) == expected }, "line \(index) was not readable while kq waited")
    }
    try kq.ok("topic", "delete", "t")
    producer.write("after the deletion\n")
    producer.closeInput()
    let ended = try producer.finish()
    #expect(ended.status == 66, "\(ended)")
    #expect(
      ended.errors
        == "kq: error: topic 't' was deleted while kq was using it; the 40003 records this run stored went with it (hint: create it again with 'kq topic create t' to go on)\n"
    )
  }

  @Test(
    "lines longer than stdin's read-ahead ring between megabytes of short ones, and a line across its end, come back byte for byte",
    .localOnly("a 3 MB record is over a broker's message.max.bytes (1 MiB by default)"))
  func longLinesAmongBulkInput() throws {
    // The ring holds 1 MiB: the 3 MB line sends the producer back to reading stdin itself.
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--config", "max.message.bytes=8388608")
    try kq.shell(
      Self.makeLines
        + " && { cat lines; head -c 3000000 /dev/zero | tr '\\0' x; echo; cat lines; head -c 700000 /dev/zero | tr '\\0' y; echo; cat lines; } > input"
        + " && cat input | kq produce t && kq consume t > out && cmp input out"
    ).checked()
  }

  @Test("Ctrl-C while kq waits after bulk input ends produce with 130; every record is stored and counted")
  func interruptedAfterBulkInput() throws {
    let kq = try KQSandbox()
    let (producer, lines) = try Self.producerAfterBulkInput(kq)  // 4 MB: read on the second thread
    producer.signal(SIGINT)
    let ended = try producer.finish(timeout: 30)
    #expect(ended.status == 130, "\(ended)")
    #expect(ended.errors == "kq: interrupted; 40000 records stored\n", "\(ended)")
    #expect(try kq.ok("consume", "t").output == lines)
  }

  @Test("a signal while bulk input keeps coming ends produce at once with 143 or 130; every record it counts is stored", arguments: [SIGTERM, SIGINT])
  func signalDuringBulkInput(signal: Int32) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    let producer = try kq.start("produce", "t", "--sync", "none")
    let line = String(repeating: "z", count: 99) + "\n"
    let chunk = Array(String(repeating: line, count: 10_000).utf8)
    let fed = DispatchSemaphore(value: 0)
    let written = Counter()
    let feeding = Thread {  // 300 MB, 1 MB a write, or until kq has gone (EPIPE)
      for _ in 0..<300 {
        producer.write(chunk)
        written.add()
      }
      fed.signal()
    }
    feeding.start()
    // 20 MB through a pipe of at most 1 MiB: kq has read at least 19 of them.
    #expect(eventually(timeout: 60) { written.value >= 20 })
    producer.signal(signal)
    // The feeder's writes fail once kq has gone; only then may finish close its pipe.
    #expect(fed.wait(timeout: .now() + 120) == .success, "kq did not end after the signal")
    let ended = try producer.finish(timeout: 30)
    #expect(ended.status == (signal == SIGINT ? 130 : 143), "\(ended)")
    let said = try #require(ended.errors.firstMatch(of: /kq: interrupted; (\d+) records stored\n/), "\(ended)")
    // Exactly the records counted: the last at offset count - 1, none after it.
    let count = try #require(Int(said.1))
    #expect(count > 0 && count < 3_000_000, "kq read all the input after the signal")
    #expect(try kq.ok("consume", "t", "--from", "\(count - 1)").output == line)
  }

  final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
  }

  @Test("three bulk producers into one partition at once: offsets dense, every line once, each producer's lines in its input order")
  func concurrentBulkProducers() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    try kq.shell(
      Self.makeLines + " && for p in a b c; do sed \"s/^/$p /\" lines > $p; done"
        + " && { cat a | kq produce t & cat b | kq produce t & cat c | kq produce t & wait; }"
    ).checked()
    let stored = try kq.shell("kq consume t --format '%o %v\\n'").checked().lines
    #expect(stored.count == 120_000)
    #expect(stored.enumerated().allSatisfy { $0.element.hasPrefix("\($0.offset) ") })
    for producer in ["a", "b", "c"] {
      let own = stored.compactMap { line -> Substring? in
        let value = line.drop { $0 != " " }.dropFirst()
        return value.hasPrefix(producer + " ") ? value : nil
      }
      #expect(own.joined(separator: "\n") + "\n" == kq.read(producer), "producer \(producer)'s lines")
    }
  }
}
