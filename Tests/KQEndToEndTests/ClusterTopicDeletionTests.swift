import KQTestSupport
import Testing

/// A topic deleted on a cluster while kq writes or follows it: kq says so, as on a data
/// directory, though the broker may acknowledge appends to it (Tansu 0.6.0 does).
@Suite("cluster topic deleted under kq", .enabled(if: TestPeer.tansu.shouldRun))
struct ClusterTopicDeletionTests {
  @Test("a producer whose topic is deleted under it, or deleted and created again, exits 66 saying its records went with it",
    arguments: [false, true])
  func deleteUnderProducer(recreate: Bool) throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    let producer = try cluster.start("produce", "t")
    producer.write("a\n")
    #expect(eventually { (try? cluster.ok("consume", "t").lines) == ["a"] })
    try cluster.ok("topic", "delete", "t")
    if recreate { try cluster.ok("topic", "create", "t") }
    producer.write("b\n")
    producer.closeInput()
    let ended = try producer.finish()
    #expect(ended.status == 66, "\(ended)")
    #expect(ended.firstErrorLine.hasPrefix("kq: error: topic 't' was deleted while kq was using it; "), "\(ended)")
    #expect(ended.errors.hasSuffix("(hint: create it again with 'kq topic create t' to go on)\n"), "\(ended)")
  }
}
