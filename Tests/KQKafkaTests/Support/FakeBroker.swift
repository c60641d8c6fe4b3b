import Foundation

@testable import KQKafka

/// A socket in the test that plays a broker, badly on purpose: each accepted connection runs
/// `script` on a thread of its own, which reads requests and writes whatever bytes the test
/// wants (garbage, huge sizes, half a frame, nothing at all).
final class FakeBroker: @unchecked Sendable {
  let port: UInt16
  let host: String
  var address: BrokerAddress { BrokerAddress(host: host, port: port) }
  private let listener: CInt
  private let stopped = NSCondition()
  private var isStopped = false

  /// Listens on 127.0.0.1, or on ::1 when `ipv6`.
  init(ipv6: Bool = false, script: @escaping @Sendable (Peer) -> Void) throws {
    let listener = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    self.listener = listener
    host = ipv6 ? "::1" : "127.0.0.1"
    var storage = sockaddr_storage()
    var length = socklen_t(ipv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    let listening = withUnsafeMutablePointer(to: &storage) { pointer -> Bool in
      if ipv6 {
        pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
          $0.pointee.sin6_family = sa_family_t(AF_INET6)
          $0.pointee.sin6_addr = in6addr_loopback
        }
      } else {
        pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
          $0.pointee.sin_family = sa_family_t(AF_INET)
          $0.pointee.sin_addr.s_addr = inet_addr("127.0.0.1")
        }
      }
      return pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, $0, &length) == 0
      }
    }
    guard listening else {
      close(listener)
      throw Failure(description: "fake broker: errno \(errno)")
    }
    port = withUnsafePointer(to: &storage) { pointer in
      ipv6
        ? pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
        : pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
    }
    Thread.detachNewThread { [weak self] in
      while true {
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, 50)
        guard let self, !self.stopped.withLock({ self.isStopped }) else { return }
        guard ready > 0 else { continue }
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { continue }
        Thread.detachNewThread {
          script(Peer(fd: fd))
          close(fd)
        }
      }
    }
  }

  deinit {
    stopped.withLock { isStopped = true }
    close(listener)
  }

  struct Failure: Error, CustomStringConvertible { var description: String }

  /// One accepted connection.
  struct Peer: Sendable {
    let fd: CInt

    /// Reads one request frame; nil when the client closed the connection.
    func readRequest() -> (apiKey: Int16, version: Int16, correlationId: Int32)? {
      guard let request = readRequestWithBody() else { return nil }
      return (request.apiKey, request.version, request.correlationId)
    }

    /// A request's header fields and a reader at the start of its body, set to the version's
    /// flexibility.
    struct Request {
      var apiKey: Int16
      var version: Int16
      var correlationId: Int32
      var body: WireReader
      var api: ApiKey? { ApiKey(rawValue: apiKey) }
    }

    func readRequestWithBody() -> Request? {
      guard let prefix = read(4) else { return nil }
      let size = Int(Int32(bitPattern: UInt32(prefix[0]) << 24 | UInt32(prefix[1]) << 16 | UInt32(prefix[2]) << 8 | UInt32(prefix[3])))
      guard size >= 8, let frame = read(size) else { return nil }
      var reader = WireReader(frame)
      guard let key = try? reader.int16(), let version = try? reader.int16(), let id = try? reader.int32(),
        (try? reader.nullableString()) != nil
      else { return nil }
      let isFlexible = ApiKey(rawValue: key)?.isFlexible(version) ?? false
      reader.isFlexible = isFlexible
      try? reader.skipTaggedFields()
      return Request(apiKey: key, version: version, correlationId: id, body: reader)
    }

    private func read(_ count: Int) -> [UInt8]? {
      var buffer = [UInt8](repeating: 0, count: count)
      var filled = 0
      while filled < count {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
        if n <= 0 { return nil }
        filled += n
      }
      return buffer
    }

    func send(_ bytes: [UInt8]) {
      var sent = 0
      while sent < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return }
        sent += n
      }
    }

    /// Sends a size-prefixed frame: the correlation id, then `body`.
    func respond(correlationId: Int32, body: [UInt8], flexibleHeader: Bool = false) {
      var writer = WireWriter()
      writer.int32(Int32(body.count + 4 + (flexibleHeader ? 1 : 0)))
      writer.int32(correlationId)
      if flexibleHeader { writer.raw([0]) }
      writer.raw(body)
      send(writer.bytes)
    }

    /// Answers `request` with a body written at its version, with the header its version takes.
    func answer(_ request: Request, _ write: (inout WireWriter) -> Void) {
      let api = request.api ?? .apiVersions
      var writer = WireWriter(isFlexible: api.isFlexible(request.version))
      write(&writer)
      respond(
        correlationId: request.correlationId, body: writer.bytes,
        flexibleHeader: ResponseHeader.isFlexible(apiKey: api, apiVersion: request.version))
    }

    /// Answers ApiVersions (at the version asked) listing every API kq knows, at kq's ranges.
    /// Returns false when the first request was something else or never came.
    @discardableResult
    func answerApiVersions(listing keys: [ApiKey] = ApiKey.allCases) -> Bool {
      guard let request = readRequest(), request.apiKey == ApiKey.apiVersions.rawValue else { return false }
      var writer = WireWriter(isFlexible: ApiKey.apiVersions.isFlexible(request.version))
      writer.int16(0)
      writer.array(keys) { writer, key in
        writer.int16(key.rawValue)
        writer.int16(key.supportedVersions.lowerBound)
        writer.int16(key.supportedVersions.upperBound)
        writer.taggedFields()
      }
      if request.version >= 1 { writer.int32(0) }
      writer.taggedFields()
      respond(correlationId: request.correlationId, body: writer.bytes)
      return true
    }

    /// Waits until the client closes the connection.
    func drainUntilClosed() {
      var buffer = [UInt8](repeating: 0, count: 4096)
      while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress!, 4096, 0) }) > 0 {}
    }
  }
}
