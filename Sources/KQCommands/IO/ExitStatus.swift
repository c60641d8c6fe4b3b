/// How kq ends, as sysexits.h numbers it. Thrown to end a command quietly with a status.
package struct ExitStatus: Error, Equatable, Sendable {
  package let rawValue: Int32
  package init(_ rawValue: Int32) { self.rawValue = rawValue }

  package static let success = ExitStatus(0)
  package static let failure = ExitStatus(1)
  package static let usage = ExitStatus(64)
  package static let dataError = ExitStatus(65)
  package static let noInput = ExitStatus(66)
  package static let unavailable = ExitStatus(69)
  package static let software = ExitStatus(70)
  package static let cannotCreate = ExitStatus(73)
  package static let ioError = ExitStatus(74)
  package static let temporaryFailure = ExitStatus(75)
  package static let interrupted = ExitStatus(130)
  package static let terminated = ExitStatus(143)
}
