extension BrokerConnection {
  /// Reads one response frame (the bytes after its size). The buffer grows with the bytes
  /// that actually arrive, so a size field claiming a gigabyte allocates nothing until the
  /// broker sends it; sizes over `maxResponseBytes` are refused at once.
  func readFrame(deadline: Deadline, awaiting api: ApiKey) throws(KafkaError) -> [UInt8] {
    var prefix = [UInt8](repeating: 0, count: 4)
    try readExactly(into: &prefix, from: 0, deadline: deadline, api: api, isFrameStart: true)
    if let impostor = Self.impostor(prefix) {
      throw impostor == "TLS" ? KafkaError.tlsRequired(address) : .notKafka(address, looksLike: impostor)
    }
    let size = Int32(bitPattern: UInt32(prefix[0]) << 24 | UInt32(prefix[1]) << 16 | UInt32(prefix[2]) << 8 | UInt32(prefix[3]))
    guard size >= 4 else {
      throw KafkaError.malformedResponse(
        address, api: api, .truncated(needed: 4, available: max(Int(size), 0), position: 0))
    }
    guard Int(size) <= maxResponseBytes else {
      throw KafkaError.responseTooLarge(address, size: Int64(size), limit: maxResponseBytes)
    }
    let total = Int(size)
    var frame = [UInt8](repeating: 0, count: min(total, Self.initialFrameBytes))
    var filled = 0
    while filled < total {
      if filled == frame.count {
        frame.append(contentsOf: repeatElement(0, count: min(total - frame.count, frame.count)))
      }
      filled = try readSome(into: &frame, from: filled, deadline: deadline, api: api)
    }
    return frame
  }

  /// The first bytes of a frame grow the buffer at most by what already arrived.
  static var initialFrameBytes: Int { 64 * 1024 }

  /// What else answered, when the first bytes are not a plausible Kafka size: a TLS record
  /// (content type alert 0x15 or handshake 0x16, then major version 3), or an HTTP status line.
  static func impostor(_ prefix: [UInt8]) -> String? {
    if (prefix[0] == 0x15 || prefix[0] == 0x16) && prefix[1] == 0x03 { return "TLS" }
    if prefix == Array("HTTP".utf8) { return "an HTTP server" }
    return nil
  }

  private func readExactly(
    into buffer: inout [UInt8], from start: Int, deadline: Deadline, api: ApiKey, isFrameStart: Bool
  ) throws(KafkaError) {
    var filled = start
    while filled < buffer.count {
      let before = filled
      do {
        filled = try readSome(into: &buffer, from: filled, deadline: deadline, api: api)
      } catch .closedByBroker where isFrameStart && before == 0 {
        throw closedWithoutAnswer(api: api)
      }
    }
  }

  /// Reads what is available into `buffer[start...]`; returns the new fill level.
  private func readSome(into buffer: inout [UInt8], from start: Int, deadline: Deadline, api: ApiKey)
    throws(KafkaError) -> Int
  {
    let received = try buffer.withUnsafeMutableBytes { raw -> Result<Int, KafkaError> in
      do throws(KafkaError) {
        return .success(
          try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]), deadline: deadline, api: api))
      } catch {
        return .failure(error)
      }
    }.get()
    guard received > 0 else { throw KafkaError.closedByBroker(address) }
    return start + received
  }

  /// The broker closed the connection instead of answering: before any answer a TLS
  /// listener does that; right after ApiVersions, at the Metadata request every kq client
  /// starts with, a SASL listener does. A broker closing at another first request (Tansu
  /// 0.6.0 does at the first JoinGroup of a group deleted before) is only named as closing.
  private func closedWithoutAnswer(api: ApiKey) -> KafkaError {
    Self.closedWithoutAnswer(
      at: address, responsesReceived: responsesReceived, api: api,
      brokerListsSasl: versions.brokerRanges[Self.saslHandshakeKey] != nil)
  }

  static func closedWithoutAnswer(at address: BrokerAddress, responsesReceived: Int, api: ApiKey, brokerListsSasl: Bool)
    -> KafkaError
  {
    if responsesReceived == 0 { return .closedBeforeHandshake(address) }
    if responsesReceived == 1 && api == .metadata && brokerListsSasl { return .saslRequired(address) }
    return .closedByBroker(address)
  }

  /// SaslHandshake's API key: a broker listing it can require SASL.
  static var saslHandshakeKey: Int16 { 17 }
}
