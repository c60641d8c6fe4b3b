/// Everything the Kafka client can fail with. Broker error codes keep Kafka's name
/// (`KafkaErrorCode.name`) and what they were about; network failures keep the broker's
/// address. `description` is one line without a prefix; the command layer adds the hint.
package indirect enum KafkaError: Error, Equatable, Sendable {
  /// A `--brokers` item that is not HOST:PORT.
  case invalidAddress(String, reason: String)
  /// The host name did not resolve (getaddrinfo's message).
  case unresolvedHost(String, reason: String)
  case connectionRefused(BrokerAddress)
  /// No route to the host or network (EHOSTUNREACH, ENETUNREACH).
  case unreachable(BrokerAddress)
  /// The TCP connection was not established in time.
  case connectTimedOut(BrokerAddress)
  /// A request's response did not arrive in time; the connection is closed.
  case requestTimedOut(BrokerAddress, api: ApiKey)
  /// The broker closed or reset the connection while a request was in flight.
  case closedByBroker(BrokerAddress)
  /// Any other socket error: the operation and errno.
  case network(BrokerAddress, operation: String, errno: Int32)
  /// The system would not give the client what it needs locally (a socket pair, a thread).
  case localResource(operation: String, errno: Int32)
  /// The broker answered kq's first request with TLS bytes: the listener expects TLS.
  case tlsRequired(BrokerAddress)
  /// The broker closed the connection before answering the first request, as a TLS
  /// listener does to plain text.
  case closedBeforeHandshake(BrokerAddress)
  /// The broker answered ApiVersions, then closed the connection at the next request, as a
  /// SASL listener does to an unauthenticated client.
  case saslRequired(BrokerAddress)
  /// Something other than Kafka answered (an HTTP server).
  case notKafka(BrokerAddress, looksLike: String)
  /// A response that does not decode; the connection is closed.
  case malformedResponse(BrokerAddress, api: ApiKey, WireError)
  /// A response frame larger than `KafkaClientOptions.maxResponseBytes`.
  case responseTooLarge(BrokerAddress, size: Int64, limit: Int)
  /// A request kq could not encode (a value too long for its field).
  case unencodableRequest(ApiKey, WireError)
  /// The broker does not offer any version of the API that kq implements.
  case unsupportedApi(ApiKey, BrokerAddress, brokerVersions: ClosedRange<Int16>?)
  /// An error code in a response, with what it was about and the broker's message if any.
  case broker(KafkaErrorCode, subject: KafkaSubject, message: String?)
  /// Metadata names no leader for the partition (or no such partition).
  case noLeader(topic: String, partition: Int32)
  /// A partition number the topic does not have.
  case noSuchPartition(topic: String, partition: Int32, partitionCount: Int)
  /// Retriable failures went on until the operation's timeout; `last` is the final one.
  case timedOut(operation: String, after: Duration, last: KafkaError?)
  /// A value the caller passed that Kafka cannot carry (a negative partition count).
  case invalidArgument(String)
  /// The group member left or lost its membership; join again.
  case notAMember(group: String)
  /// A produce request was sent and its answer lost (`cause`): the broker may or may not have
  /// stored the batch, and without an idempotent producer id a retry could store it twice.
  case deliveryUnknown(topic: String, partition: Int32, cause: KafkaError)
  /// The process asked the client to stop waiting (`Cancellation`: kq's Ctrl-C or SIGTERM)
  /// during a retry's pause or a connection attempt.
  case interrupted

  /// The broker error code, also when wrapped in `timedOut`.
  package var code: KafkaErrorCode? {
    switch self {
    case .broker(let code, _, _): code
    case .timedOut(_, _, let last?): last.code
    default: nil
    }
  }

  /// Whether trying again (after refreshing metadata or reconnecting) may succeed.
  package var isRetriable: Bool {
    switch self {
    case .connectionRefused, .unreachable, .connectTimedOut, .requestTimedOut, .closedByBroker, .network, .noLeader:
      true
    case .broker(let code, .topic, _) where code == .unknownTopicOrPartition:
      false  // metadata's answer about the topic itself: there is no such topic
    case .broker(let code, _, _): code.isRetriable
    default: false
    }
  }

  /// Whether the connection it happened on can no longer be used.
  package var breaksConnection: Bool {
    switch self {
    case .broker, .noLeader, .noSuchPartition, .timedOut, .invalidArgument, .notAMember, .unencodableRequest,
      .unsupportedApi, .invalidAddress, .deliveryUnknown:
      false
    default: true
    }
  }
}

/// What a broker error was about.
package enum KafkaSubject: Equatable, Sendable {
  case cluster
  case topic(String)
  case partition(topic: String, partition: Int32)
  case group(String)
  case producer
  /// A transactional producer, by its transactional id.
  case transaction(String)
}
