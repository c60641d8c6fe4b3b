import Foundation
import KQTestSupport
import Testing

/// `describe`, `topic list`, `topic alter` and `topic delete`, their JSON checked key by key.
@Suite("describe and topic administration")
struct DescribeTests {
  static let partitionKeys: Set<String> = [
    "partition", "log_start_offset", "end_offset", "records", "bytes", "segments", "first_timestamp", "last_timestamp",
    "codecs", "compression_ratio", "groups",
  ]

  @Test("describe TOPIC --json gives the config and, per partition, offsets, records, bytes, segments and timestamps", .localOnly("a cluster's describe shows leader, replicas and ISR instead of bytes, segments, timestamps and codecs (ClusterTests check it)"))
  func describeTopicJSON() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "3", "--retention", "1d", "--config", "max.message.bytes=4KiB")
    try kq.ok("produce", "t", "-p", "0", "--timestamp", "@1000", stdin: "a\nbb\n")
    try kq.ok("produce", "t", "-p", "0", "--timestamp", "@3000", stdin: "ccc\n")
    try kq.ok("produce", "t", "-p", "2", "--timestamp", "@5000", stdin: "d\n")
    let object = try JSON.object(try kq.ok("describe", "t", "--json").output)
    #expect(Set(object.keys) == ["topic", "config", "partitions"])
    #expect(object["topic"] as? String == "t")
    let config = try #require(object["config"] as? [String: Any])
    #expect(JSON.int(config["partitions"]) == 3)
    #expect(JSON.int(config["retention.ms"]) == 86_400_000)
    #expect(JSON.int(config["max.message.bytes"]) == 4096)
    #expect(JSON.int(config["retention.bytes"]) == -1)
    #expect(config["cleanup.policy"] as? String == "delete")
    let partitions = try #require(object["partitions"] as? [[String: Any]])
    #expect(partitions.count == 3)
    for (index, partition) in partitions.enumerated() {
      #expect(Set(partition.keys) == Self.partitionKeys)
      #expect(JSON.int(partition["partition"]) == Int64(index))
      #expect(JSON.int(partition["log_start_offset"]) == 0)
      #expect((partition["groups"] as? [Any])?.isEmpty == true)
    }
    #expect(partitions.map { JSON.int($0["end_offset"]) } == [3, 0, 1])
    #expect(partitions.map { JSON.int($0["records"]) } == [3, 0, 1])
    #expect(partitions.map { JSON.int($0["segments"]) } == [1, 0, 1])
    #expect(partitions.map { JSON.int($0["first_timestamp"]) } == [1000, nil, 5000])
    #expect(partitions.map { JSON.int($0["last_timestamp"]) } == [3000, nil, 5000])
    #expect(JSON.isNull(partitions[1]["first_timestamp"]) && JSON.isNull(partitions[1]["last_timestamp"]))
    let bytes = partitions.map { JSON.int($0["bytes"]) ?? -1 }
    #expect(bytes[0] > 6 && bytes[1] == 0 && bytes[2] > 1, "\(bytes)")
  }

  @Test("describe without a topic lists the data directory and every topic with partitions, records and bytes", .localOnly("describes the data directory: its path and whether it exists"))
  func describeDirectoryJSON() throws {
    let kq = try KQSandbox()
    let before = try JSON.object(try kq.ok("describe", "--json").output)
    #expect(Set(before.keys) == ["data_directory", "exists", "topics"])
    #expect(before["data_directory"] as? String == kq.path)
    #expect(before["exists"] as? Bool == false)
    #expect((before["topics"] as? [Any])?.isEmpty == true)
    try kq.ok("topic", "create", "b", "--partitions", "2")
    try kq.ok("produce", "a", "--create", stdin: "1\n2\n3\n")
    let object = try JSON.object(try kq.ok("describe", "--json").output)
    #expect(object["data_directory"] as? String == kq.path)
    #expect(object["exists"] as? Bool == true)
    let topics = try #require(object["topics"] as? [[String: Any]])
    #expect(topics.map { Set($0.keys) } == Array(repeating: ["name", "partitions", "records", "bytes"], count: 2))
    #expect(topics.map { $0["name"] as? String } == ["a", "b"])
    #expect(topics.map { JSON.int($0["partitions"]) } == [1, 2])
    #expect(topics.map { JSON.int($0["records"]) } == [3, 0])
    #expect((JSON.int(topics[0]["bytes"]) ?? 0) > 3 && JSON.int(topics[1]["bytes"]) == 0)
    let topicBytes = try JSON.object(try kq.ok("describe", "a", "--json").output)["partitions"] as? [[String: Any]]
    #expect(JSON.int(topicBytes?.first?["bytes"]) == JSON.int(topics[0]["bytes"]))
  }

  @Test("topic list prints sorted names, and --json an object per topic with partitions, records and bytes")
  func topicList() throws {
    let kq = try KQSandbox()
    #expect(try kq.ok("topic", "list").output == "")
    #expect(try JSON.array(try kq.ok("topic", "list", "--json").output).isEmpty)
    try kq.ok("topic", "create", "zeta", "--partitions", "4")
    try kq.ok("produce", "alpha", "--create", stdin: "x\ny\n")
    #expect(try kq.ok("topic", "list").output == "alpha\nzeta\n")
    let items = try JSON.array(try kq.ok("topic", "list", "--json").output).compactMap { $0 as? [String: Any] }
    #expect(items.map { Set($0.keys) } == Array(repeating: ["name", "partitions", "records", "bytes"], count: 2))
    #expect(items.map { $0["name"] as? String } == ["alpha", "zeta"])
    #expect(items.map { JSON.int($0["partitions"]) } == [1, 4])
    #expect(items.map { JSON.int($0["records"]) } == [2, 0])
  }

  @Test("topic alter changes the keys given, keeps the others, grows partitions and refuses to shrink", .localOnly("adds partitions: Tansu 0.6.0 has no CreatePartitions"))
  func topicAlter() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "2", "--config", "segment.bytes=1MiB")
    let altered = try kq.ok("topic", "alter", "t", "--config", "retention.bytes=2MiB", "--retention", "forever", "--partitions", "5")
    #expect(altered.lines.sorted() == ["t partitions=5", "t retention.bytes=2097152", "t retention.ms=-1"])
    let config = try JSON.object(try kq.ok("describe", "t", "--json").output)["config"] as? [String: Any]
    #expect(JSON.int(config?["retention.bytes"]) == 2_097_152)
    #expect(JSON.int(config?["retention.ms"]) == -1)
    #expect(JSON.int(config?["segment.bytes"]) == 1_048_576)
    #expect(JSON.int(config?["partitions"]) == 5)
    let shrink = try kq.run("topic", "alter", "t", "--partitions", "3")
    #expect(shrink.status == 64 && shrink.firstErrorLine.hasPrefix("kq: error: "), "\(shrink)")
    let unknown = try kq.run("topic", "alter", "t", "--config", "bogus.key=1")
    #expect(unknown.status == 64, "\(unknown)")
    #expect(JSON.int((try JSON.object(try kq.ok("describe", "t", "--json").output)["config"] as? [String: Any])?["partitions"]) == 5)
  }

  @Test("topic delete removes topics and their records; a missing name exits 66 before anything is deleted")
  func topicDelete() throws {
    let kq = try KQSandbox()
    try kq.ok("produce", "a", "--create", stdin: "1\n")
    try kq.ok("topic", "create", "b")
    let refused = try kq.run("topic", "delete", "a", "missing", "b")
    #expect(refused.status == 66 && refused.firstErrorLine.hasPrefix("kq: error: topic 'missing' does not exist"), "\(refused)")
    #expect(try kq.ok("topic", "list").output == "a\nb\n")
    #expect(try kq.ok("topic", "delete", "a", "missing", "--if-exists").output == "deleted topic a\n")
    #expect(try kq.ok("topic", "delete", "b").output == "deleted topic b\n")
    #expect(try kq.ok("topic", "list").output == "")
    try kq.ok("produce", "a", "--create", stdin: "fresh\n")
    #expect(try kq.ok("consume", "a").output == "fresh\n")
    #expect(try kq.ok("topic", "delete", "a", "a").output == "deleted topic a\n")
  }

  @Test("a deletion killed after its first step: verify reports the leftovers, topic delete finishes it, a new topic of the name is new to the groups", .localOnly("the leftovers are a data directory's files"))
  func interruptedDeletion() throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", "3")
    try kq.ok("produce", "t", stdin: "old-1\nold-2\nold-3\n")
    try kq.ok("consume", "t", "--group", "g")
    // What kill -9 after the configuration's unlink leaves: partition folders, the group's offsets.
    try FileManager.default.removeItem(atPath: kq.path + "/topics/t/config")
    #expect(try kq.ok("topic", "list").output == "")
    let found = try kq.run("verify")
    #expect(found.status == 74 && found.output.contains("t-2: \(kq.path)/t-2 was left by an interrupted topic"), "\(found)")
    #expect(try kq.ok("topic", "delete", "t").output == "deleted topic t (finished an interrupted deletion)\n")
    #expect(try kq.ok("verify").output.contains("no problems"))
    #expect(try kq.run("topic", "delete", "t").status == 66)
    // Killed again; this time the name is created anew: the group reads all of the new topic.
    try kq.ok("topic", "create", "t", "--partitions", "3")
    try kq.ok("produce", "t", stdin: "old-1\nold-2\nold-3\n")
    try kq.ok("consume", "t", "--group", "g")
    try FileManager.default.removeItem(atPath: kq.path + "/topics/t/config")
    try kq.ok("topic", "create", "t")
    try kq.ok("produce", "t", stdin: "new-1\nnew-2\n")
    #expect(try kq.ok("consume", "t", "--group", "g").output == "new-1\nnew-2\n")
    #expect(try kq.ok("verify").output.contains("no problems"))
  }

  @Test("topic create twice fails unless --if-not-exists")
  func createTwice() throws {
    let kq = try KQSandbox()
    #expect(try kq.ok("topic", "create", "t", "--partitions", "2").output == "created topic t with 2 partitions\n")
    let again = try kq.run("topic", "create", "t")
    #expect(again.status == 1 && again.firstErrorLine.hasPrefix("kq: error: topic 't' already exists"), "\(again)")
    let quiet = try kq.run("topic", "create", "t", "--if-not-exists", "--partitions", "7")
    #expect(quiet.status == 0 && quiet.output == "" && quiet.errors == "", "\(quiet)")
    #expect(JSON.int((try JSON.object(try kq.ok("describe", "t", "--json").output)["config"] as? [String: Any])?["partitions"]) == 2)
  }
}
