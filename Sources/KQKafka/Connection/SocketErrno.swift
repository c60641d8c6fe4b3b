import Glibc

/// Names for the errno values a socket meets, for one-line messages.
package enum SocketErrno {
  package static func name(_ code: Int32) -> String {
    switch code {
    case ECONNREFUSED: "connection refused (ECONNREFUSED)"
    case ECONNRESET: "connection reset (ECONNRESET)"
    case EPIPE: "connection closed (EPIPE)"
    case ETIMEDOUT: "timed out (ETIMEDOUT)"
    case EHOSTUNREACH: "no route to host (EHOSTUNREACH)"
    case ENETUNREACH: "network unreachable (ENETUNREACH)"
    case EADDRNOTAVAIL: "address not available (EADDRNOTAVAIL)"
    case EMFILE: "too many open files (EMFILE)"
    case ENFILE: "too many open files in the system (ENFILE)"
    case ENOBUFS: "no buffer space (ENOBUFS)"
    case ENOMEM: "out of memory (ENOMEM)"
    case EACCES: "permission denied (EACCES)"
    case EAFNOSUPPORT: "address family not supported (EAFNOSUPPORT)"
    default: "errno \(code)"
    }
  }
}
