import Glibc

/// A client of one Kafka cluster: bootstraps from a list of brokers, learns the others and the
/// partition leaders from Metadata, routes each request to the broker that must answer it,
/// and retries retriable failures (after refreshing metadata or reconnecting, with
/// exponential backoff) until the operation's timeout.
///
/// Operations are in extensions by concern: topics, produce, fetch, offsets, groups. Each
/// blocks its caller and returns a value or a `KafkaError`. Not thread-safe: one thread uses
/// a cluster at a time (a `GroupMember`'s heartbeat thread has a connection of its own).
package final class KafkaCluster {
  package let bootstrap: [BrokerAddress]
  package let options: KafkaClientOptions
  /// Open connections, by address.
  private var connections: [BrokerAddress: BrokerConnection] = [:]
  /// Brokers by node id, from the last Metadata answer.
  package private(set) var brokers: [Int32: BrokerAddress] = [:]
  package private(set) var controllerId: Int32?
  /// Topics from the last Metadata answers; an entry is dropped when a broker says it is
  /// stale (NOT_LEADER_OR_FOLLOWER and the like), so the next use asks again.
  private var topics: [String: TopicMetadata] = [:]
  /// Where the next "any broker" request goes first, so failures rotate through the list.
  private var nextBroker = 0
  /// Each group's coordinator, from FindCoordinator; dropped when it says it no longer is.
  var coordinators: [String: BrokerAddress] = [:]
  /// Connections lost or refused so far: a reader that saw this number change (a broker
  /// restarting, the network) makes sure its topic is still the one it read.
  package private(set) var connectionLosses = 0
  /// Brokers that answered ApiVersions on some connection of this client.
  private var answered: Set<BrokerAddress> = []

  /// A connection lost or refused: what metadata said of topics may be stale (a restarted
  /// broker may hold a topic created again, with a new id), so their next use asks again.
  private func noteConnectionLoss() {
    connectionLosses &+= 1
    topics.removeAll()
  }

  package init(bootstrap: [BrokerAddress], options: KafkaClientOptions = KafkaClientOptions()) throws(KafkaError) {
    guard !bootstrap.isEmpty else { throw .invalidAddress("", reason: "no brokers given") }
    self.bootstrap = bootstrap
    self.options = options
  }

  package convenience init(bootstrap: String, options: KafkaClientOptions = KafkaClientOptions()) throws(KafkaError) {
    try self.init(bootstrap: BrokerAddress.list(parsing: bootstrap), options: options)
  }

  // MARK: Connections

  /// An open connection to `address`, reusing one that still works.
  package func connection(to address: BrokerAddress, deadline: Deadline) throws(KafkaError) -> BrokerConnection {
    if let open = connections[address], open.isUsable { return open }
    if connections.removeValue(forKey: address) != nil { noteConnectionLoss() }
    do throws(KafkaError) {
      let connection = try BrokerConnection.open(
        to: address, clientId: options.clientId, maxResponseBytes: options.maxResponseBytes,
        versionCaps: options.versionCaps, deadline: deadline.capped(at: .after(options.requestTimeout)))
      connections[address] = connection
      answered.insert(address)
      return connection
    } catch {
      noteConnectionLoss()
      // A broker that answered before is not a TLS listener: closing before answering is a
      // broker restarting (it accepts before it is ready), which is waited out as a loss.
      if case .closedBeforeHandshake = error, answered.contains(address) { throw .closedByBroker(address) }
      throw error
    }
  }

  /// A connection to broker `nodeId`, as the last metadata placed it.
  package func connection(toNode nodeId: Int32, deadline: Deadline) throws(KafkaError) -> BrokerConnection {
    if brokers[nodeId] == nil { _ = try refreshMetadata(topics: [], deadline: deadline) }
    guard let address = brokers[nodeId] else {
      throw .broker(.leaderNotAvailable, subject: .cluster, message: "broker \(nodeId) is not in the metadata")
    }
    return try connection(to: address, deadline: deadline)
  }

  /// A connection to any broker: an open one, else the known brokers and the bootstrap list in
  /// turn, starting after the one that failed last.
  package func anyConnection(deadline: Deadline) throws(KafkaError) -> BrokerConnection {
    if let open = connections.values.first(where: \.isUsable) { return open }
    let candidates = Array(Set(brokers.values).union(bootstrap)).sorted { $0.description < $1.description }
    var lastError: KafkaError?
    for step in 0..<candidates.count {
      let address = candidates[(nextBroker + step) % candidates.count]
      do {
        return try connection(to: address, deadline: deadline)
      } catch {
        lastError = error
        nextBroker = (nextBroker + step + 1) % candidates.count
        if !error.isRetriable || deadline.hasPassed { throw error }
      }
    }
    throw lastError ?? .invalidAddress("", reason: "no brokers given")
  }

  /// Closes every connection.
  package func close() { connections.removeAll() }

  // MARK: Metadata

  /// Asks any broker for the metadata of `topics` (nil: every topic) and remembers it.
  @discardableResult
  package func refreshMetadata(topics names: [String]?, deadline: Deadline) throws(KafkaError)
    -> MetadataRequest.Response
  {
    let connection = try anyConnection(deadline: deadline)
    let response = try connection.request(MetadataRequest(topics: names), deadline: requestDeadline(deadline))
    guard !response.brokers.isEmpty else {
      throw .broker(.leaderNotAvailable, subject: .cluster, message: "the metadata lists no brokers")
    }
    var known: [Int32: BrokerAddress] = [:]
    for broker in response.brokers {
      guard let port = UInt16(exactly: broker.port), port > 0 else { continue }
      known[broker.nodeId] = BrokerAddress(host: broker.host, port: port)
    }
    brokers = known
    controllerId = response.controllerId >= 0 ? response.controllerId : nil
    if names == nil { topics.removeAll() }
    for topic in response.topics {
      guard let name = topic.name else { continue }
      topics[name] = topic.errorCode.isNone ? TopicMetadata(topic, name: name) : nil
    }
    return response
  }

  /// The metadata of `topic`, asking the cluster when it is not known. Throws
  /// UNKNOWN_TOPIC_OR_PARTITION (about the topic, so not retried) when the cluster has none.
  package func topicMetadata(_ topic: String, deadline: Deadline) throws(KafkaError) -> TopicMetadata {
    if let known = topics[topic] { return known }
    let response = try refreshMetadata(topics: [topic], deadline: deadline)
    if let known = topics[topic] { return known }
    let code = response.topics.first { $0.name == topic }?.errorCode ?? .unknownTopicOrPartition
    throw .broker(code.isNone ? .unknownTopicOrPartition : code, subject: .topic(topic), message: nil)
  }

  /// Forgets what metadata said of `topic`, so the next use asks again.
  package func forgetMetadata(of topic: String) { topics[topic] = nil }

  /// A connection to the leader of a partition.
  package func leader(of topic: String, partition: Int32, deadline: Deadline) throws(KafkaError) -> BrokerConnection {
    var metadata = try topicMetadata(topic, deadline: deadline)
    if metadata.partition(partition) == nil {  // partitions may have been added since it was asked
      forgetMetadata(of: topic)
      metadata = try topicMetadata(topic, deadline: deadline)
    }
    guard let entry = metadata.partition(partition) else {
      throw .noSuchPartition(topic: topic, partition: partition, partitionCount: metadata.partitionCount)
    }
    guard let leaderId = entry.leaderId else {
      forgetMetadata(of: topic)
      throw .noLeader(topic: topic, partition: partition)
    }
    return try connection(toNode: leaderId, deadline: deadline)
  }

  // MARK: Retries

  /// The deadline of one request: its share of the operation's, at most `requestTimeout`
  /// plus `extra` (time the request asks the broker to wait).
  package func requestDeadline(_ deadline: Deadline, extra: Duration = .zero) -> Deadline {
    deadline.capped(at: .after(options.requestTimeout + extra))
  }

  /// Runs `body` until it succeeds, fails with an error that is not retriable, or the
  /// operation's timeout passes. Before each retry: metadata about the failed topic is
  /// forgotten, and the pause doubles from `retryBackoff` to `retryBackoffMax`.
  package func retrying<T>(_ operation: String, _ body: (Deadline) throws(KafkaError) -> T) throws(KafkaError) -> T {
    try retrying(operation, until: .after(options.timeout), body)
  }

  /// `retrying(_:_:)` within a deadline already running (a second step of one operation).
  package func retrying<T>(_ operation: String, until deadline: Deadline, _ body: (Deadline) throws(KafkaError) -> T)
    throws(KafkaError) -> T
  {
    var pause = options.retryBackoff
    while true {
      do {
        return try body(deadline)
      } catch {
        guard error.isRetriable else { throw error }
        forgetMetadata(after: error)
        guard deadline.remaining > pause else {
          throw .timedOut(operation: operation, after: options.timeout, last: error)
        }
        guard Cancellation.pause(pause) else { throw .interrupted }
        pause = min(pause * 2, options.retryBackoffMax)
      }
    }
  }

  private func forgetMetadata(after error: KafkaError) {
    switch error {
    case .broker(_, .partition(let topic, _), _), .broker(_, .topic(let topic), _), .noLeader(let topic, _):
      forgetMetadata(of: topic)
    case .broker(let code, .cluster, _) where code == .notController:
      controllerId = nil
    case .broker(let code, .group(let group), _) where code.isCoordinatorError:
      coordinators[group] = nil
    default:
      break
    }
  }

}
