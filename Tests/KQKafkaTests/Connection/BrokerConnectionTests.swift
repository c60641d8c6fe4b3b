import KQTestSupport
import Testing

@testable import KQKafka

@Suite("Broker connection against Tansu", .enabled(if: TestPeer.tansu.shouldRun))
struct BrokerConnectionTests {
  @Test("opening a connection negotiates the highest common version of each API")
  func negotiatesVersions() throws {
    let broker = try TansuBroker()
    let connection = try BrokerConnection.open(
      to: BrokerAddress(parsing: broker.address), clientId: "kq-test", maxResponseBytes: 1 << 20,
      deadline: .after(.seconds(10)))
    // Tansu 0.6.0 offers Produce 0-11, Fetch 0-17, Metadata 0-12 (kafka-format.md, section 7).
    #expect(try connection.version(for: .produce) == 11)
    #expect(try connection.version(for: .fetch) == 12)
    #expect(try connection.version(for: .metadata) == 12)
    #expect(try connection.version(for: .apiVersions) == 4)
    #expect(throws: KafkaError.unsupportedApi(.createPartitions, connection.address, brokerVersions: nil)) {
      try connection.version(for: .createPartitions)
    }
  }

  @Test("pipelined requests are matched to their responses by correlation id, in any order")
  func pipelining() throws {
    let broker = try TansuBroker()
    let connection = try BrokerConnection.open(
      to: BrokerAddress(parsing: broker.address), clientId: "kq-test", maxResponseBytes: 1 << 20,
      deadline: .after(.seconds(10)))
    let deadline = Deadline.after(.seconds(10))
    let old = try connection.send(ApiVersionsRequest(), version: 0, deadline: deadline)
    let flexible = try connection.send(ApiVersionsRequest(), version: 3, deadline: deadline)
    let newest = try connection.send(ApiVersionsRequest(), deadline: deadline)
    let third = try connection.receive(newest, deadline: deadline)
    let first = try connection.receive(old, deadline: deadline)
    let second = try connection.receive(flexible, deadline: deadline)
    #expect(first == second && second == third)
    #expect(first.errorCode == .none && first.table == connection.versions)
  }
}

@Suite("Broker connection failures")
struct BrokerConnectionFailureTests {
  private func open(_ broker: FakeBroker, timeout: Duration = .seconds(10), limit: Int = 1 << 20) throws(KafkaError)
    -> BrokerConnection
  {
    try BrokerConnection.open(to: broker.address, clientId: "kq-test", maxResponseBytes: limit, deadline: .after(timeout))
  }

  @Test("a port nothing listens on is a refused connection")
  func refused() throws {
    let address = BrokerAddress(host: "127.0.0.1", port: try TansuBroker.freePort())
    #expect(throws: KafkaError.connectionRefused(address)) {
      try BrokerConnection.open(to: address, clientId: "kq", maxResponseBytes: 1 << 20, deadline: .after(.seconds(5)))
    }
  }

  @Test("a host that does not resolve is named")
  func unresolved() {
    #expect {
      try BrokerConnection.open(
        to: BrokerAddress(host: "no-such-host.invalid", port: 9092), clientId: "kq", maxResponseBytes: 1 << 20,
        deadline: .after(.seconds(5)))
    } throws: { error in
      guard case .unresolvedHost("no-such-host.invalid", _) = error as? KafkaError else { return false }
      return true
    }
  }

  @Test("a broker that never answers times out at the deadline")
  func silentBroker() throws {
    let broker = try FakeBroker { peer in peer.drainUntilClosed() }
    #expect(throws: KafkaError.requestTimedOut(broker.address, api: .apiVersions)) {
      try open(broker, timeout: .milliseconds(200))
    }
  }

  @Test("a TLS alert in answer is 'kq does not support TLS/SASL yet', not a protocol dump")
  func tlsAlert() throws {
    let broker = try FakeBroker { peer in
      _ = peer.readRequest()
      peer.send([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a])  // fatal alert: unexpected_message
    }
    #expect(throws: KafkaError.tlsRequired(broker.address)) { try open(broker) }
    #expect(KafkaError.tlsRequired(broker.address).description == "\(broker.address) expects TLS; kq does not support TLS/SASL yet")
  }

  @Test("a broker that closes before the first answer may expect TLS, and says so")
  func closedAtOnce() throws {
    let broker = try FakeBroker { peer in _ = peer.readRequest() }
    #expect(throws: KafkaError.closedBeforeHandshake(broker.address)) { try open(broker) }
  }

  @Test("an HTTP server is not taken for a broker")
  func http() throws {
    let broker = try FakeBroker { peer in
      _ = peer.readRequest()
      peer.send(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8))
    }
    #expect(throws: KafkaError.notKafka(broker.address, looksLike: "an HTTP server")) { try open(broker) }
  }

  @Test("a size over the limit is refused before anything is allocated for it")
  func hugeSize() throws {
    let broker = try FakeBroker { peer in
      _ = peer.readRequest()
      peer.send([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1])
      peer.drainUntilClosed()
    }
    #expect(throws: KafkaError.responseTooLarge(broker.address, size: Int64(Int32.max), limit: 1 << 20)) {
      try open(broker)
    }
  }

  @Test("a frame cut short by a close is a closed connection, even under a huge size")
  func closedMidFrame() throws {
    let broker = try FakeBroker { peer in
      guard let request = peer.readRequest() else { return }
      var writer = WireWriter()
      writer.int32(1_500_000_000)
      writer.int32(request.correlationId)
      writer.raw([0, 0, 0])
      peer.send(writer.bytes)
    }
    #expect(throws: KafkaError.closedByBroker(broker.address)) { try open(broker, limit: Int(Int32.max)) }
  }

  @Test("a response for a correlation id never sent is malformed")
  func strangerCorrelation() throws {
    let broker = try FakeBroker { peer in
      _ = peer.readRequest()
      peer.respond(correlationId: 99_999, body: [0, 0, 0, 0, 0, 0])
      peer.drainUntilClosed()
    }
    #expect {
      try open(broker)
    } throws: { error in
      guard case .malformedResponse(_, .apiVersions, _) = error as? KafkaError else { return false }
      return true
    }
  }

  @Test("garbage after a good handshake gives a typed error, never a trap or a hang", arguments: 0..<20 as Range<UInt64>)
  func garbage(seed: UInt64) throws {
    let broker = try FakeBroker { peer in
      guard peer.answerApiVersions(), let request = peer.readRequest() else { return }
      var generator = SplitMix(seed: seed)
      let length = Int(generator.next() % 40)
      var writer = WireWriter()
      writer.int32(Int32(length + 4))
      writer.int32(request.correlationId)
      writer.raw((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
      peer.send(writer.bytes)
      peer.drainUntilClosed()
    }
    let connection = try open(broker)
    do {
      _ = try connection.request(ApiVersionsRequest(), deadline: .after(.seconds(5)))
    } catch {
      #expect(!error.breaksConnection || !connection.isUsable)
    }
  }
}

@Suite("Broker connection by host name", .enabled(if: TestPeer.tansu.shouldRun))
struct BrokerConnectionHostNameTests {
  @Test("localhost reaches a broker listening on 127.0.0.1, whichever address resolves first")
  func localhost() throws {
    let broker = try TansuBroker()
    let connection = try BrokerConnection.open(
      to: BrokerAddress(host: "localhost", port: broker.port), clientId: "kq-test", maxResponseBytes: 1 << 20,
      deadline: .after(.seconds(10)))
    #expect(try connection.version(for: .metadata) == 12)
  }
}

@Suite("Broker connection addresses and version fallback")
struct BrokerConnectionNegotiationTests {
  @Test("an IPv6 address connects, written [::1]:PORT")
  func ipv6() throws {
    let broker: FakeBroker
    do {
      broker = try FakeBroker(ipv6: true) { peer in
        peer.answerApiVersions()
        peer.drainUntilClosed()
      }
    } catch {
      print("kq tests: skipping a test: this machine has no IPv6 loopback (\(error))")
      return
    }
    let address = try BrokerAddress(parsing: "[::1]:\(broker.port)")
    let connection = try BrokerConnection.open(
      to: address, clientId: "kq-test", maxResponseBytes: 1 << 20, deadline: .after(.seconds(5)))
    #expect(try connection.version(for: .metadata) == ApiKey.metadata.supportedVersions.upperBound)
  }

  @Test("a broker that does not know ApiVersions v4 answers UNSUPPORTED_VERSION, and the client asks again at its version")
  func apiVersionsFallback() throws {
    let broker = try FakeBroker { peer in
      guard let first = peer.readRequest(), first.apiKey == 18, first.version == 4 else { return }
      // Version 0 layout, whatever was asked: error 35, then the broker's ApiVersions range.
      var old = WireWriter()
      old.int16(35)
      old.arrayCount(1)
      old.int16(18)
      old.int16(0)
      old.int16(2)
      peer.respond(correlationId: first.correlationId, body: old.bytes)
      guard let second = peer.readRequest(), second.apiKey == 18, second.version == 2 else { return }
      var answer = WireWriter()
      answer.int16(0)
      answer.array([(ApiKey.apiVersions, Int16(0)...Int16(2)), (ApiKey.metadata, 0...8)]) { w, entry in
        w.int16(entry.0.rawValue)
        w.int16(entry.1.lowerBound)
        w.int16(entry.1.upperBound)
      }
      answer.int32(0)
      peer.respond(correlationId: second.correlationId, body: answer.bytes)
      peer.drainUntilClosed()
    }
    let connection = try BrokerConnection.open(
      to: broker.address, clientId: "kq-test", maxResponseBytes: 1 << 20, deadline: .after(.seconds(5)))
    #expect(try connection.version(for: .metadata) == 8)
    #expect(try connection.version(for: .apiVersions) == 2)
  }
}

@Suite("Broker closing instead of answering")
struct ClosedWithoutAnswerTests {
  private let address = BrokerAddress(host: "127.0.0.1", port: 9092)

  @Test("closed at the first Metadata after ApiVersions listing SaslHandshake is a SASL listener; at another request only a closed connection")
  func saslOnlyAtMetadata() {
    #expect(BrokerConnection.closedWithoutAnswer(at: address, responsesReceived: 1, api: .metadata, brokerListsSasl: true) == .saslRequired(address))
    #expect(BrokerConnection.closedWithoutAnswer(at: address, responsesReceived: 1, api: .joinGroup, brokerListsSasl: true) == .closedByBroker(address))
    #expect(BrokerConnection.closedWithoutAnswer(at: address, responsesReceived: 1, api: .metadata, brokerListsSasl: false) == .closedByBroker(address))
    #expect(BrokerConnection.closedWithoutAnswer(at: address, responsesReceived: 5, api: .metadata, brokerListsSasl: true) == .closedByBroker(address))
    #expect(BrokerConnection.closedWithoutAnswer(at: address, responsesReceived: 0, api: .apiVersions, brokerListsSasl: false) == .closedBeforeHandshake(address))
  }
}
