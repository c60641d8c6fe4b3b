import KQTestSupport
import Testing

@testable import KQKafka

@Suite("Cluster failures")
struct ClusterFailureTests {
  @Test("a port nothing listens on is retried until the timeout, then named with the last error")
  func unreachablePort() throws {
    let address = BrokerAddress(host: "127.0.0.1", port: try TansuBroker.freePort())
    var options = KafkaClientOptions()
    options.timeout = .milliseconds(300)
    let cluster = try KafkaCluster(bootstrap: [address], options: options)
    #expect(throws: KafkaError.timedOut(operation: "listing topics", after: .milliseconds(300), last: .connectionRefused(address))) {
      try cluster.topicNames()
    }
    #expect(
      KafkaError.timedOut(operation: "listing topics", after: .milliseconds(300), last: .connectionRefused(address))
        .description == "listing topics timed out after 300 ms: connection refused by \(address)")
  }

  @Test("bootstrap goes on to the next broker in the list when one refuses", .enabled(if: TestPeer.tansu.shouldRun))
  func secondBootstrapBroker() throws {
    let broker = try TansuBroker()
    let dead = BrokerAddress(host: "127.0.0.1", port: try TansuBroker.freePort())
    let cluster = try KafkaCluster(bootstrap: [dead, try BrokerAddress(parsing: broker.address)])
    #expect(try cluster.topicNames() == [])
  }

  @Test("a broker requiring SASL is named at once: kq does not support TLS/SASL yet", .enabled(if: TestPeer.tansu.shouldRun))
  func sasl() throws {
    let tansu = try TansuCluster(authentication: true)
    let address = try BrokerAddress(parsing: tansu.broker.address)
    #expect(throws: KafkaError.saslRequired(address)) { try tansu.cluster.topicNames() }
  }

  @Test("broker addresses parse as HOST:PORT, [IPv6]:PORT or HOST, and bad ones are named")
  func addresses() throws {
    #expect(try BrokerAddress.list(parsing: "a:1, [::1]:9093,localhost") == [
      BrokerAddress(host: "a", port: 1), BrokerAddress(host: "::1", port: 9093), BrokerAddress(host: "localhost", port: 9092),
    ])
    #expect(BrokerAddress(host: "::1", port: 9093).description == "[::1]:9093")
    for bad in ["", "a:", "a:0", "a:70000", "::1:9092", "[::1", "a,,b", "a:b", "[::1]x"] {
      #expect(throws: KafkaError.self, "\(bad)") { try BrokerAddress.list(parsing: bad) }
    }
    // A URL is named as one, not as an IPv6 address without brackets.
    #expect(throws: KafkaError.invalidAddress("kafka://b:9092", reason: "a broker is HOST:PORT, without 'kafka://' (kq talks Kafka's protocol in plain TCP)")) {
      try BrokerAddress.list(parsing: "kafka://b:9092")
    }
  }
}
