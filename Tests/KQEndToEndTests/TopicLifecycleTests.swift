import Glibc
import KQTestSupport
import Testing

/// Issue 9, items 7 and 13, with real processes: topics created, altered and deleted while
/// others produce and follow.
@Suite("topic lifecycle")
struct TopicLifecycleTests {
  /// 8 × `seq 1 1000 | kq produce TOPIC --create -p 0` at once; each line of the output is
  /// one producer's exit status and stderr's first line.
  static func racingProducers(topic: String, directory: String) -> String {
    var script = "export KQ_DIR=\(KQSandbox.quote(directory))\n"
    for index in 0..<8 {
      script += "( seq 1 1000 | kq produce \(topic) --create -p 0 2> err.\(index); echo \"$? $(head -1 err.\(index))\" > status.\(index) ) &\n"
    }
    return script + "wait\ncat status.*\n"
  }

  @Test("concurrent produce --create, into an existing and a new data directory: all exit 0 and every record is kept", arguments: [false, true])
  func concurrentCreate(newDirectory: Bool) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "other")
    for round in 0..<5 {
      let directory = newDirectory ? kq.file("fresh\(round)/data") : kq.path
      let result = try kq.shell(Self.racingProducers(topic: "t\(round)", directory: directory))
      #expect(result.lines == Array(repeating: "0 ", count: 8), "round \(round): \(result)")
      let consumed = try KQProcess.run(["consume", "t\(round)"], directory: directory, stdin: [], environment: kq.environment)
      #expect(consumed.status == 0, "\(consumed)")
      var counts: [String: Int] = [:]
      for line in consumed.lines { counts[line, default: 0] += 1 }
      #expect(consumed.lines.count == 8000 && counts.count == 1000 && counts.values.allSatisfy { $0 == 8 }, "round \(round)")
    }
  }

  @Test("topic create --if-not-exists and produce --create racing: every one succeeds, the topic is made once")
  func createIfNotExistsRace() throws {
    let kq = try KQSandbox()
    var script = ""
    for index in 0..<6 {
      script += "kq topic create t --partitions 2 --if-not-exists > /dev/null 2> err.c\(index) || echo c\(index) fail &\n"
      script += "( echo r\(index) | kq produce t --create -p 0 2> err.p\(index) || echo p\(index) fail ) &\n"
    }
    let result = try kq.shell(script + "wait\ncat err.*\n")
    #expect(result.output == "", "\(result)")
    #expect(Set(try kq.ok("consume", "t").lines) == Set((0..<6).map { "r\($0)" }))
  }

  @Test("a producer whose topic is deleted under it fails with 66 and says its records went with it, also when it is created again", .localOnly("Tansu 0.6.0 acknowledges an append to a deleted topic, so the record after the delete counts as stored (2 records went, not 1); ClusterTopicDeletionTests"))
  func deleteUnderProducer() throws {
    for recreate in [false, true] {
      let kq = try KQSandbox()
      try kq.ok("topic", "create", "t")
      let producer = try kq.start("produce", "t")
      producer.write("a\n")
      #expect(eventually { (try? kq.ok("consume", "t").lines) == ["a"] })
      try kq.ok("topic", "delete", "t")
      if recreate { try kq.ok("topic", "create", "t") }
      producer.write("b\n")
      producer.closeInput()
      let ended = try producer.finish()
      #expect(ended.status == 66, "\(ended)")
      #expect(
        ended.errors
          == "kq: error: topic 't' was deleted while kq was using it; the 1 record this run stored went with it (hint: create it again with 'kq topic create t' to go on)\n"
      )
      if recreate { #expect(try kq.ok("consume", "t").lines == []) }
    }
  }

  @Test("alterations racing each other and a producer: no record is lost, the partition count only grows", .localOnly("adds partitions: Tansu 0.6.0 has no CreatePartitions"))
  func alterWhileProducing() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t")
    var script = "seq 1 20000 | kq produce t -p 0 & pids=$!\n"
    for partitions in 2...7 {
      script += "kq topic alter t --partitions \(partitions) --config segment.bytes=\(partitions)KiB > /dev/null 2>&1 &\n"
    }
    script += "wait $pids\n"
    let result = try kq.shell(script + "wait\n")
    #expect(result.status == 0, "\(result)")
    #expect(try kq.ok("consume", "t", "-p", "0").lines == (1...20000).map(String.init))
    let described = try JSON.object(kq.ok("describe", "t", "--json").output)
    #expect((described["partitions"] as? [Any])?.count == 7)
  }

  @Test(
    "a follower of a deleted topic exits 66 saying so, with and without a group, with --exec too",
    arguments: [[], ["--group", "g"], ["--group", "g", "--exec", "cat"]])
  func followerOfDeletedTopic(extra: [String]) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "d", "--partitions", "2")
    try kq.ok("produce", "d", "-p", "0", stdin: "one\n")
    let follower = try kq.start(["consume", "d", "-f"] + extra)
    #expect(follower.readLine() == "one")
    try kq.ok("topic", "delete", "d")
    let ended = try follower.finish(timeout: 20)
    #expect(ended.status == 66, "\(ended)")
    #expect(
      ended.errors == "kq: error: topic 'd' was deleted while kq was using it (hint: create it again with 'kq topic create d' to go on)\n")
  }
}
