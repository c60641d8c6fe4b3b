import KQLog

/// What `kq consume` reads and how it prints it; bound from flags by `ConsumeCommand`.
package struct ConsumeOptions {
  package enum Start: Equatable, Sendable {
    case beginning, end
    case offset(Int64)
    /// The last N records of each partition.
    case lastRecords(Int64)
    case timestamp(Int64)
  }

  package enum Stop: Equatable, Sendable {
    case offset(Int64)
    case timestamp(Int64)
  }

  package enum Output: Equatable, Sendable {
    case values
    case nulTerminated
    case json
    case format(FormatString)
  }

  package var topic: TopicName
  package var start: Start = .beginning
  package var stop: Stop?
  package var partitions: [Int]?
  package var maxRecords: Int?
  package var follow = false
  package var idleMillis: Int64?
  package var output: Output = .values
  /// `--exec CMD` with its batch limits (only with `--group`).
  package var exec: Exec?

  package struct Exec: Equatable, Sendable {
    package var command: String
    package var batchRecords = 10_000
    package var batchBytes = 16 << 20
  }

  package init(topic: TopicName) { self.topic = topic }
}
