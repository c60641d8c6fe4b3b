/// One TCP connection to a broker, speaking the framed request/response protocol: each message
/// is an int32 size, then a header and a body. Opening it asks ApiVersions first, so every
/// later request is sent at the highest version both sides support.
///
/// Requests can be pipelined: `send` returns a ticket at once, several may be in flight, and
/// `receive` returns the response for one ticket, keeping any response that arrives for
/// another until it is asked for. Any network failure, timeout or malformed frame closes the
/// connection for good (`failure`); the client opens a new one.
///
/// Not thread-safe: one thread uses a connection at a time.
package final class BrokerConnection {
  package let address: BrokerAddress
  package let clientId: String
  package let maxResponseBytes: Int
  /// The broker's versions, from ApiVersions.
  package private(set) var versions: ApiVersionTable
  /// Why the connection can no longer be used; nil while it can.
  package private(set) var failure: KafkaError?

  let socket: Socket
  private var nextCorrelationId: Int32 = 1
  /// Requests sent and not yet answered: their API and version, to decode the answer.
  private var inFlight: [Int32: (api: ApiKey, version: Int16)] = [:]
  /// Responses that arrived while another was awaited, by correlation id.
  private var arrived: [Int32: [UInt8]] = [:]
  /// Responses received so far; a broker that closes before the first one, or right after
  /// ApiVersions, is probably expecting TLS or SASL.
  var responsesReceived = 0

  private init(socket: Socket, clientId: String, maxResponseBytes: Int) {
    self.socket = socket
    self.address = socket.address
    self.clientId = clientId
    self.maxResponseBytes = maxResponseBytes
    self.versions = ApiVersionTable(brokerRanges: [:])
  }

  /// Connects and negotiates versions, all within `deadline`.
  package static func open(
    to address: BrokerAddress, clientId: String, maxResponseBytes: Int, versionCaps: [ApiKey: Int16] = [:],
    deadline: Deadline
  ) throws(KafkaError) -> BrokerConnection {
    let socket = try Socket.connect(to: address, deadline: deadline)
    let connection = BrokerConnection(socket: socket, clientId: clientId, maxResponseBytes: maxResponseBytes)
    try connection.negotiateVersions(deadline: deadline)
    connection.versions.caps = versionCaps
    return connection
  }

  /// Asks ApiVersions at the newest version kq knows; a broker that does not know it answers
  /// UNSUPPORTED_VERSION with its own range, and the request goes again at that version.
  private func negotiateVersions(deadline: Deadline) throws(KafkaError) {
    let request = ApiVersionsRequest()
    var version = ApiKey.apiVersions.supportedVersions.upperBound
    for _ in 0..<2 {
      let response = try receive(try send(request, version: version, deadline: deadline), deadline: deadline)
      if response.errorCode == .unsupportedVersion, let theirs = response.table.brokerRange(.apiVersions),
        theirs.upperBound < version, theirs.upperBound >= 0
      {
        version = theirs.upperBound
        continue
      }
      guard response.errorCode.isNone else {
        throw .broker(response.errorCode, subject: .cluster, message: "ApiVersions")
      }
      versions = response.table
      return
    }
    throw .unsupportedApi(.apiVersions, address, brokerVersions: nil)
  }

  /// The version this connection uses for `api`.
  package func version(for api: ApiKey) throws(KafkaError) -> Int16 {
    guard let version = versions.version(for: api) else {
      throw .unsupportedApi(api, address, brokerVersions: versions.brokerRange(api))
    }
    return version
  }

  /// A request sent and not yet received.
  package struct Ticket<Request: KafkaRequest> {
    package let correlationId: Int32
    package let version: Int16
  }

  /// Sends `request` at the negotiated version (or `version`), without waiting for the answer.
  package func send<Request: KafkaRequest>(
    _ request: Request, version: Int16? = nil, deadline: Deadline
  ) throws(KafkaError) -> Ticket<Request> {
    if let failure { throw failure }
    let api = Request.apiKey
    let chosen: Int16
    if let version { chosen = version } else { chosen = try self.version(for: api) }
    let version = chosen
    let correlationId = takeCorrelationId()
    var writer = WireWriter(capacity: 128)
    writer.int32(0)  // size, filled in below
    RequestHeader(apiKey: api, apiVersion: version, correlationId: correlationId, clientId: clientId)
      .encode(into: &writer)
    writer.isFlexible = api.isFlexible(version)
    request.encode(into: &writer, version: version)
    if let problem = writer.problem { throw .unencodableRequest(api, problem) }
    guard let size = Int32(exactly: writer.count - 4) else {
      throw .unencodableRequest(api, .valueTooLarge(field: "request", size: writer.count, limit: Int(Int32.max)))
    }
    writer.setInt32(size, at: 0)
    inFlight[correlationId] = (api, version)
    var thrown: KafkaError?
    writer.bytes.withUnsafeBytes { bytes in
      do throws(KafkaError) {
        try socket.sendAll(bytes, deadline: deadline, api: api)
      } catch {
        thrown = error
      }
    }
    if let thrown { throw fail(thrown) }
    return Ticket(correlationId: correlationId, version: version)
  }

  /// Waits for the response to `ticket` and decodes it.
  package func receive<Request: KafkaRequest>(_ ticket: Ticket<Request>, deadline: Deadline) throws(KafkaError)
    -> Request.Response
  {
    if let failure { throw failure }
    let api = Request.apiKey
    let frame: [UInt8]
    if let early = arrived.removeValue(forKey: ticket.correlationId) {
      frame = early
    } else {
      while true {
        let next: [UInt8]
        do {
          next = try readFrame(deadline: deadline, awaiting: api)
        } catch {
          throw fail(error)
        }
        let correlationId = Self.correlationId(of: next)
        if correlationId == ticket.correlationId {
          frame = next
          break
        }
        guard inFlight[correlationId] != nil, arrived[correlationId] == nil else {
          throw fail(.malformedResponse(address, api: api, .truncated(needed: 0, available: 0, position: 0)))
        }
        arrived[correlationId] = next
      }
    }
    inFlight[ticket.correlationId] = nil
    responsesReceived += 1
    var reader = WireReader(frame)
    do {
      _ = try ResponseHeader.decode(
        &reader, isFlexible: ResponseHeader.isFlexible(apiKey: api, apiVersion: ticket.version))
      reader.isFlexible = api.isFlexible(ticket.version)
      return try Request.decodeResponse(&reader, version: ticket.version)
    } catch {
      throw fail(.malformedResponse(address, api: api, error))
    }
  }

  /// Sends `request` and waits for its response.
  package func request<Request: KafkaRequest>(_ request: Request, deadline: Deadline) throws(KafkaError)
    -> Request.Response
  {
    try receive(try send(request, deadline: deadline), deadline: deadline)
  }

  /// Closes the connection: later calls throw `error`.
  @discardableResult
  package func fail(_ error: KafkaError) -> KafkaError {
    if failure == nil { failure = error }
    inFlight.removeAll()
    arrived.removeAll()
    socket.shutdown()
    return error
  }

  package var isUsable: Bool { failure == nil }

  private func takeCorrelationId() -> Int32 {
    repeat {
      nextCorrelationId = nextCorrelationId == Int32.max ? 1 : nextCorrelationId + 1
    } while inFlight[nextCorrelationId] != nil
    return nextCorrelationId
  }

  private static func correlationId(of frame: [UInt8]) -> Int32 {
    guard frame.count >= 4 else { return -1 }
    return Int32(bitPattern: UInt32(frame[0]) << 24 | UInt32(frame[1]) << 16 | UInt32(frame[2]) << 8 | UInt32(frame[3]))
  }
}
