import KQTestSupport

@testable import KQKafka

/// A Tansu broker of the test's own and a client bootstrapped from it. Short timeouts, so a
/// test that goes wrong fails in seconds.
struct TansuCluster {
  let broker: TansuBroker
  let cluster: KafkaCluster

  init(timeout: Duration = .seconds(15), requestTimeout: Duration? = nil, authentication: Bool = false) throws {
    broker = try TansuBroker(authentication: authentication)
    var options = KafkaClientOptions()
    options.clientId = "kq-test"
    options.timeout = timeout
    options.requestTimeout = requestTimeout ?? timeout
    cluster = try KafkaCluster(bootstrap: broker.address, options: options)
  }

  /// Another client of the same broker (a second group member, a second producer).
  func client(timeout: Duration = .seconds(15)) throws -> KafkaCluster {
    var options = cluster.options
    options.timeout = timeout
    return try KafkaCluster(bootstrap: broker.address, options: options)
  }
}
