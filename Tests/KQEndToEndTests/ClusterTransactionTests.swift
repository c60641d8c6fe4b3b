import Foundation
import KQTestSupport
import Testing

/// Transactions on a cluster: what kq reads of transactions other clients wrote (read
/// committed), and `kq pipe --brokers` writing its output and offsets in transactions.
@Suite("transactions on a cluster", .enabled(if: TestPeer.tansu.shouldRun && TestPeer.kafkaPython.shouldRun))
struct ClusterTransactionTests {
  /// kafka-python writes: a committed transaction, plain records, an aborted transaction
  /// (flushed, so its records are in the log), a committed one; then, with a transaction of
  /// another producer left open over records, runs kq consume (ARGV[2]) and prints its output.
  static let transactions = """
    import subprocess, sys
    from kafka import KafkaProducer
    broker, kq = sys.argv[1], sys.argv[2]
    t = KafkaProducer(bootstrap_servers=broker, transactional_id='writer')
    plain = KafkaProducer(bootstrap_servers=broker)
    t.init_transactions()
    t.begin_transaction(); t.send('t', b'committed-1'); t.send('t', b'committed-2'); t.commit_transaction()
    plain.send('t', b'plain-1'); plain.flush()
    t.begin_transaction(); t.send('t', b'aborted-1'); t.send('t', b'aborted-2'); t.flush(); t.abort_transaction()
    t.begin_transaction(); t.send('t', b'committed-3'); t.commit_transaction()
    o = KafkaProducer(bootstrap_servers=broker, transactional_id='open')
    o.init_transactions(); o.begin_transaction(); o.send('t', b'open-1'); o.flush()
    plain.send('t', b'plain-2'); plain.flush()
    print(subprocess.run([kq] + sys.argv[3:], capture_output=True, text=True, check=True).stdout, end='')
    """

  @Test("consume on a cluster reads committed records only: aborted transactions and markers passed over, stops before an open transaction")
  func consumeReadsCommitted() throws {
    let cluster = try ClusterTests.Cluster()
    try cluster.ok("topic", "create", "t")
    let read = try PythonScript.run(
      Self.transactions, [cluster.broker.address, KQProcess.binaryPath, "consume", "t", "--brokers", cluster.broker.address])
    #expect(read == "committed-1\ncommitted-2\nplain-1\ncommitted-3\n")
    // The open transaction's producer is gone with the script; its records stay unreadable
    // (Kafka aborts it at its timeout), and the plain record behind it waits with them.
    #expect(try cluster.ok("consume", "t").output == "committed-1\ncommitted-2\nplain-1\ncommitted-3\n")
  }
}
