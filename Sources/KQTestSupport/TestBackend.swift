import Foundation

/// What the end-to-end suites run kq against: a data directory (the default), or, with
/// `KQ_TEST_BROKERS=tansu`, a Tansu broker of each `KQSandbox`'s own, reached through
/// `$KQ_BROKERS` (which wins over the sandbox's `KQ_DIR`). Tests whose semantics need a data
/// directory are skipped there with `.localOnly(reason)`.
package enum TestBackend: Sendable, Equatable {
  case dataDirectory
  case tansu

  /// The backend `$KQ_TEST_BROKERS` asks for; nil for a value that names none.
  package static func named(_ value: String?) -> TestBackend? {
    switch value ?? "" {
    case "": .dataDirectory
    case "tansu": .tansu
    default: nil
    }
  }

  /// The backend of this test process (a data directory when `$KQ_TEST_BROKERS` names none;
  /// `KQSandbox` then refuses to start, naming the value).
  package static let current: TestBackend = named(requested) ?? .dataDirectory

  /// Whether the suites run against a broker.
  package static var isCluster: Bool { current == .tansu }

  static var requested: String? { ProcessInfo.processInfo.environment["KQ_TEST_BROKERS"] }
}
