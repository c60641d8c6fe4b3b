import KQLog

/// Appends to one partition's leader. Each append waits until every in-sync replica has the
/// batches (acks=all), so what it returns is already durable: `makeDurable` and
/// `confirmAppended` only ask Metadata whether the topic is still the one written to.
final class KafkaPartitionWriter: PartitionWriting {
  let service: KafkaLogService
  let topic: TopicName
  let partition: Int32
  /// The topic's id when the writer was opened (zero when the broker sends none).
  let topicId: KafkaUUID

  init(service: KafkaLogService, topic: TopicName, partition: Int32, topicId: KafkaUUID = .zero) {
    self.service = service
    self.topic = topic
    self.partition = partition
    self.topicId = topicId
  }

  func append(_ batches: UnsafeMutableRawBufferPointer) throws(StorageError) -> AppendedRecords {
    let bytes = UnsafeRawBufferPointer(batches)
    let records = Self.recordCount(bytes)
    guard records > 0 else { return AppendedRecords(firstOffset: 0, recordCount: 0) }
    try service.stampIdempotent(batches, topic: topic.value, partition: partition)
    service.unconfirmedTopics.insert(topic.value)
    do {
      let result = try service.calling { () throws(KafkaError) in
        try service.cluster.produce(bytes, to: topic.value, partition: partition)
      }
      return AppendedRecords(firstOffset: result.baseOffset, recordCount: records)
    } catch {
      throw service.failure(error, appendingTo: topic, id: topicId)
    }
  }

  /// The records of the whole batches laid back to back in `bytes`.
  static func recordCount(_ bytes: UnsafeRawBufferPointer) -> Int {
    var position = 0
    var count = 0
    let whole = BatchLayout.wholeBatchesLength(bytes)
    while position < whole {
      let length = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: position + BatchLayout.batchLength, as: Int32.self))
      let records = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: position + BatchLayout.recordCount, as: Int32.self))
      count += Int(max(0, records))
      position += BatchLayout.logOverhead + Int(length)
    }
    return count
  }

  func makeDurable() throws(StorageError) { try confirmAppended() }
  func confirmAppended() throws(StorageError) { try service.confirmAppended(to: topic, id: topicId) }
  func close() {}
}
