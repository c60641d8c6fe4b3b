/// One line each, naming the broker, topic or group, and Kafka's error name.
extension KafkaError: CustomStringConvertible {
  package var description: String {
    switch self {
    case .invalidAddress(let text, let reason): "invalid broker address '\(text)': \(reason)"
    case .unresolvedHost(let host, let reason): "cannot resolve broker host '\(host)': \(reason)"
    case .connectionRefused(let address): "connection refused by \(address)"
    case .unreachable(let address): "broker \(address) is unreachable"
    case .connectTimedOut(let address): "connecting to \(address) timed out"
    case .requestTimedOut(let address, let api): "\(address) did not answer \(api.name.article) \(api.name) request in time"
    case .closedByBroker(let address): "\(address) closed the connection"
    case .network(let address, let operation, let errno):
      "\(operation) to \(address) failed: \(SocketErrno.name(errno))"
    case .localResource(let operation, let errno): "\(operation) failed: \(SocketErrno.name(errno))"
    case .tlsRequired(let address): "\(address) expects TLS; kq does not support TLS/SASL yet"
    case .closedBeforeHandshake(let address):
      "\(address) closed the connection before answering; it may expect TLS, and kq does not support TLS/SASL yet"
    case .saslRequired(let address):
      "\(address) closed the connection after ApiVersions; it expects SASL authentication, and kq does not support TLS/SASL yet"
    case .notKafka(let address, let looksLike): "\(address) is not a Kafka broker (it answers like \(looksLike))"
    case .malformedResponse(let address, let api, let reason):
      "\(address) sent a malformed \(api.name) response: \(reason)"
    case .responseTooLarge(let address, let size, let limit):
      "\(address) sent a response of \(size) bytes, more than the limit of \(limit)"
    case .unencodableRequest(let api, let reason): "cannot encode \(api.name.article) \(api.name) request: \(reason)"
    case .unsupportedApi(let api, let address, let versions?):
      "\(address) supports \(api.name) versions \(versions.lowerBound)-\(versions.upperBound), kq needs \(api.supportedVersions.lowerBound)-\(api.supportedVersions.upperBound)"
    case .unsupportedApi(let api, let address, nil): "\(address) does not support \(api.name)"
    case .broker(let code, let subject, let message):
      "\(subject.phrase)\(code.name)" + (message.map { $0.isEmpty ? "" : ": \($0)" } ?? "")
    case .noLeader(let topic, let partition): "partition \(partition) of topic '\(topic)' has no leader"
    case .noSuchPartition(let topic, let partition, let count):
      "topic '\(topic)' has no partition \(partition) (it has \(count))"
    case .timedOut(let operation, let after, let last?): "\(operation) timed out after \(after.phrase): \(last)"
    case .timedOut(let operation, let after, nil): "\(operation) timed out after \(after.phrase)"
    case .invalidArgument(let what): what
    case .notAMember(let group): "not a member of group '\(group)'"
    case .deliveryUnknown(let topic, let partition, let cause):
      "topic '\(topic)' partition \(partition): the batch may or may not have been stored (\(cause))"
    case .interrupted: "interrupted while waiting for the cluster"
    }
  }
}

extension KafkaSubject {
  fileprivate var phrase: String {
    switch self {
    case .cluster: ""
    case .topic(let name): "topic '\(name)': "
    case .partition(let topic, let partition): "topic '\(topic)' partition \(partition): "
    case .group(let name): "group '\(name)': "
    case .producer: "producer: "
    case .transaction(let id): "transactional id '\(id)': "
    }
  }
}

extension Duration {
  fileprivate var phrase: String {
    let millis = milliseconds
    return millis % 1000 == 0 ? "\(millis / 1000) s" : "\(millis) ms"
  }
}

extension String {
  /// "a" or "an" before this word, by its first letter (ApiVersions, OffsetFetch, ...).
  fileprivate var article: String { first.map { "AEIOU".contains($0) } == true ? "an" : "a" }
}
