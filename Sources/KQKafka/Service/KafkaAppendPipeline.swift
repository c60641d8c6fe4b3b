import KQLog

/// `AppendPipeline` over a `ProducePipeline`: each flush's batches stamped with the service's
/// idempotent producer (its sequences in the order they are sent) and kept in flight, up to
/// five requests per partition. `KafkaLogService.appendPipeline()` offers it only where the
/// cluster gives producer ids; without them a request at a time, as `append` sends them.
final class KafkaAppendPipeline: AppendPipeline {
  let service: KafkaLogService
  let pipeline: ProducePipeline
  /// The record count and writer of each append of each flush not yet settled, oldest first.
  private var sentAppends: [[(recordCount: Int, writer: KafkaPartitionWriter?)]] = []

  init(service: KafkaLogService) {
    self.service = service
    self.pipeline = ProducePipeline(cluster: service.cluster)
  }

  func send(_ appends: [PartitionAppend]) -> [SettledFlush] {
    var runs: [KafkaCluster.ProduceRun] = []
    var sent: [(recordCount: Int, writer: KafkaPartitionWriter?)] = []
    for append in appends {
      let bytes = UnsafeRawBufferPointer(append.batches)
      // Another service's writer, or bytes that are not whole batches: an empty run, which the
      // pipeline refuses by name.
      var run = KafkaCluster.ProduceRun(topic: "", partition: -1, batches: UnsafeRawBufferPointer(start: nil, count: 0))
      if let writer = append.writer as? KafkaPartitionWriter,
        (try? service.stampIdempotent(append.batches, topic: writer.topic.value, partition: writer.partition)) != nil
      {
        run = KafkaCluster.ProduceRun(topic: writer.topic.value, partition: writer.partition, batches: bytes)
        service.unconfirmedTopics.insert(writer.topic.value)
      }
      runs.append(run)
      sent.append((KafkaPartitionWriter.recordCount(bytes), append.writer as? KafkaPartitionWriter))
    }
    sentAppends.append(sent)
    return settled(pipeline.send(runs))
  }

  func settle() -> [SettledFlush] { settled(pipeline.settle()) }

  private func settled(_ flushes: [[Result<KafkaCluster.ProduceResult, KafkaError>]]) -> [SettledFlush] {
    flushes.map { results in
      let sent = sentAppends.removeFirst()
      return SettledFlush(
        results: zip(results, sent).map { result, append in
          result.map { AppendedRecords(firstOffset: $0.baseOffset, recordCount: append.recordCount) }.mapError {
            guard let writer = append.writer else { return $0.storageError }
            return service.failure($0.storageError, appendingTo: writer.topic, id: writer.topicId)
          }
        })
    }
  }
}
