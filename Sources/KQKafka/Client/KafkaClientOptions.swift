/// How the client waits and retries. The defaults follow Kafka's Java client where it has one.
package struct KafkaClientOptions: Sendable {
  /// The client id in every request header (Kafka logs and quotas use it).
  package var clientId = "kq"
  /// How long one operation may take, retries and reconnections included (Java's
  /// `default.api.timeout.ms` is 60 s; kq, a command line tool, gives up sooner).
  package var timeout: Duration = .seconds(30)
  /// How long one request waits for its response, beyond any wait it asks the broker for
  /// (a fetch's maxWait, a join's rebalance timeout): Java's `request.timeout.ms`.
  package var requestTimeout: Duration = .seconds(30)
  /// The first pause before a retry, doubled each time up to `retryBackoffMax`
  /// (`retry.backoff.ms`, `retry.backoff.max.ms`).
  package var retryBackoff: Duration = .milliseconds(100)
  package var retryBackoffMax: Duration = .seconds(1)
  /// The largest response frame accepted (Java's `socket.request.max.bytes` is 100 MiB).
  package var maxResponseBytes = 100 * 1024 * 1024
  /// The highest version to use of some APIs, below what the broker offers: for a broker
  /// whose newest versions misbehave, and for testing kq's older encodings.
  package var versionCaps: [ApiKey: Int16] = [:]

  package init() {}
}
