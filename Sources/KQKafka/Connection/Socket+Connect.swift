import Glibc

extension Socket {
  /// Resolves `address` and connects to the first of its IP addresses that accepts (so
  /// `localhost` tries ::1, then 127.0.0.1), within `deadline`. The socket is non-blocking,
  /// close-on-exec, with Nagle off (requests are small and answered one by one).
  package static func connect(to address: BrokerAddress, deadline: Deadline) throws(KafkaError) -> Socket {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
    hints.ai_protocol = CInt(IPPROTO_TCP)
    hints.ai_flags = AI_ADDRCONFIG
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(address.host, String(address.port), &hints, &list)
    guard status == 0, let first = list else {
      let reason = status == EAI_SYSTEM ? SocketErrno.name(errno) : String(cString: gai_strerror(status))
      throw .unresolvedHost(address.host, reason: reason)
    }
    defer { freeaddrinfo(list) }
    var lastError = KafkaError.connectionRefused(address)
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let current = entry {
      entry = current.pointee.ai_next
      do {
        return try connect(to: current.pointee, address: address, deadline: deadline)
      } catch {
        lastError = error
        if case .connectTimedOut = error { throw error }
      }
    }
    throw lastError
  }

  private static func connect(to info: addrinfo, address: BrokerAddress, deadline: Deadline) throws(KafkaError)
    -> Socket
  {
    let fd = Glibc.socket(
      info.ai_family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue),
      info.ai_protocol)
    guard fd >= 0 else { throw .network(address, operation: "opening a socket", errno: errno) }
    let socket = Socket(fd: fd, address: address)  // closes fd on every way out
    var on: CInt = 1
    _ = setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<CInt>.size))
    if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) == 0 { return socket }
    var code = errno
    if code == EINTR || code == EINPROGRESS {
      let ready: Bool?
      do { ready = try Cancellation.wait(fd: fd, events: CShort(POLLOUT), until: deadline) } catch {
        throw .network(address, operation: "connecting", errno: error.errno)
      }
      guard let ready else { throw .interrupted }
      if !ready { throw .connectTimedOut(address) }
      var result: CInt = 0
      var length = socklen_t(MemoryLayout<CInt>.size)
      guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &result, &length) == 0 else {
        throw .network(address, operation: "connecting", errno: errno)
      }
      if result == 0 { return socket }
      code = result
    }
    switch code {
    case ECONNREFUSED: throw .connectionRefused(address)
    case EHOSTUNREACH, ENETUNREACH: throw .unreachable(address)
    case ETIMEDOUT: throw .connectTimedOut(address)
    default: throw .network(address, operation: "connecting", errno: code)
    }
  }
}
