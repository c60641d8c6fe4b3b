/// Where the log a command works on lives, as the command line and environment name it.
package enum LogLocation: Equatable, Sendable {
  /// A data directory at this path.
  case directory(String)
  /// A Kafka cluster reached through `brokers` (`HOST:PORT[,HOST:PORT...]`, as the user gave
  /// it); an operation it does not complete within `timeoutMillis` fails.
  case cluster(brokers: String, timeoutMillis: Int64)
}

/// Opens the `LogService` at a location. The commands get one from the process (`kq` hands
/// in one that knows every backend), so KQCommands never names a backend itself.
package protocol LogServiceOpener: Sendable {
  /// The service at `location`. With `create`, a data directory that does not exist yet is
  /// made; without, it throws `dataDirectoryNotFound`.
  func open(_ location: LogLocation, create: Bool, clock: any WallClock) throws -> any LogService
  /// What is wrong with a broker list as written (`HOST:PORT[,...]`), nil when nothing is:
  /// checked before any connection, also where the list goes unused (beside `--dir`).
  func brokerListProblem(_ brokers: String) -> String?
}

extension LogServiceOpener {
  /// An opener without clusters takes any list: opening one fails anyway.
  package func brokerListProblem(_ brokers: String) -> String? { nil }
}
