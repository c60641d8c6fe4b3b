import KQTestSupport
import Testing

extension Trait where Self == ConditionTrait {
  /// Skips the test or suite when the suites run against a broker (`KQ_TEST_BROKERS=tansu`):
  /// `reason` says in one line why its semantics need a data directory.
  static func localOnly(_ reason: Comment) -> Self {
    .disabled(if: TestBackend.isCluster, reason)
  }
}
