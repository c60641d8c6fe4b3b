/// What only a log kq keeps itself can do: check every byte it stored and mend what it can.
/// `VerifyCommand` asks a service for it by cast; a cluster keeps its own checks.
package protocol LogVerifying: LogService {
  /// Checks (and with `repair`, mends) the topics given, or all, and the groups' offsets.
  func verify(topics: [TopicName]?, repair: Bool, progress: (VerifyProgress) -> Void) throws(StorageError) -> VerifyReport
}
