/// How `kq pipe` names a batch, a bad output record and a duration in its messages.
extension PipeRunner {
  /// `topic 'logs' partition 0, offsets 10 to 19`
  func place(_ input: PipeInput, _ read: PipeInput.Batch) -> String {
    "topic '\(input.input.topic)' partition \(input.input.partition), offsets \(read.first) to \(read.last)"
  }

  func describe(_ problem: PipeOutputParser.Problem) -> String {
    switch problem {
    case .malformedJSON(let record, let reason): "record \(record): \(reason)"
    case .tooLarge(let record, let size, let limit):
      "record \(record): \(size) bytes exceed max.message.bytes (\(limit)) of '\(options.output)'"
    case .partitionOutOfRange(let record, let partition, let partitions):
      "record \(record): partition \(partition) does not exist ('\(options.output)' has \(partitions))"
    }
  }

  /// `30s`, `1500ms`: a --timeout as the user may have written it.
  static func describeDuration(_ millis: Int64) -> String {
    millis % 1000 == 0 ? "\(millis / 1000)s" : "\(millis)ms"
  }
}
