/// Fetch (key 1) of one partition from an offset, as a consumer (replica id -1). Read committed
/// (isolation level 1, kq's default): the broker answers up to the last stable offset and lists
/// the aborted transactions among the records, which the reader skips (`AbortedTransactions`);
/// control batches come through in the bytes either way, flagged in their attributes. Without
/// a fetch session (id 0, epoch -1): each request names its partition in full.
package struct FetchRequest: KafkaRequest {
  package static let apiKey = ApiKey.fetch
  package var topic: String
  package var partition: Int32
  package var offset: Int64
  package var maxWaitMs: Int32
  package var minBytes: Int32
  package var maxBytes: Int32
  package var isolation: FetchIsolation

  package init(
    topic: String, partition: Int32, offset: Int64, maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32,
    isolation: FetchIsolation = .readCommitted
  ) {
    self.isolation = isolation
    self.topic = topic
    self.partition = partition
    self.offset = offset
    self.maxWaitMs = maxWaitMs
    self.minBytes = minBytes
    self.maxBytes = maxBytes
  }

  /// The same request as a fetch of many partitions with one target (`FetchPartitionsRequest`).
  package func encode(into writer: inout WireWriter, version: Int16) {
    FetchPartitionsRequest(
      targets: [FetchPartitionsRequest.Target(topic: topic, partition: partition, offset: offset)], maxWaitMs: maxWaitMs,
      minBytes: minBytes, maxBytes: maxBytes, partitionMaxBytes: maxBytes, isolation: isolation
    ).encode(into: &writer, version: version)
  }

  package struct PartitionData: Equatable, Sendable {
    package var topic: String
    package var partition: Int32
    package var errorCode: KafkaErrorCode
    package var highWatermark: Int64
    package var lastStableOffset: Int64
    package var logStartOffset: Int64
    /// Read committed: the transactions aborted among the records, by producer id and first offset.
    package var abortedTransactions: [AbortedTransaction]
    package var records: [UInt8]

    package func readableEnd(_ isolation: FetchIsolation) -> Int64 {
      isolation.readableEnd(lastStableOffset: lastStableOffset, highWatermark: highWatermark)
    }
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var partitions: [PartitionData]
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    _ = try reader.int32()  // throttle time
    var errorCode = KafkaErrorCode.none
    if version >= 7 {
      errorCode = KafkaErrorCode(try reader.int16())
      _ = try reader.int32()  // session id
    }
    var partitions: [PartitionData] = []
    let topics = try reader.arrayCount(minimumElementSize: 3)
    for _ in 0..<topics {
      let topic = try reader.string()
      let count = try reader.arrayCount(minimumElementSize: 30)
      for _ in 0..<count {
        let index = try reader.int32()
        let code = KafkaErrorCode(try reader.int16())
        let highWatermark = try reader.int64()
        let lastStable = try reader.int64()  // version 4 and later
        let logStart = version >= 5 ? try reader.int64() : -1
        let aborted: [AbortedTransaction] =
          try reader.nullableArray(minimumElementSize: 16) { (r: inout WireReader) throws(WireError) -> AbortedTransaction in
            let transaction = AbortedTransaction(producerId: try r.int64(), firstOffset: try r.int64())
            try r.skipTaggedFields()
            return transaction
          } ?? []
        if version >= 11 { _ = try reader.int32() }  // preferred read replica
        let records = try reader.nullableBytes() ?? []
        try reader.skipTaggedFields()
        partitions.append(
          PartitionData(
            topic: topic, partition: index, errorCode: code, highWatermark: highWatermark, lastStableOffset: lastStable,
            logStartOffset: logStart, abortedTransactions: aborted, records: records))
      }
      try reader.skipTaggedFields()
    }
    try reader.skipTaggedFields()
    return Response(errorCode: errorCode, partitions: partitions)
  }
}

/// What a fetch may return of transactions: Kafka's isolation levels.
package enum FetchIsolation: Int8, Sendable {
  /// Every record, those of open and aborted transactions too (Java's consumer default).
  case readUncommitted = 0
  /// Records up to the last stable offset, aborted transactions listed (kq's default).
  case readCommitted = 1

  /// Where reading stops for now: the last stable offset when reading committed records
  /// (records of open transactions are not handed out; -1 when the broker does not say), else
  /// the high watermark.
  package func readableEnd(lastStableOffset: Int64, highWatermark: Int64) -> Int64 {
    self == .readCommitted && lastStableOffset >= 0 ? min(lastStableOffset, highWatermark) : highWatermark
  }
}

/// A transaction a fetch lists as aborted: its producer and first offset.
package struct AbortedTransaction: Equatable, Sendable {
  package var producerId: Int64
  package var firstOffset: Int64

  package init(producerId: Int64, firstOffset: Int64) {
    self.producerId = producerId
    self.firstOffset = firstOffset
  }
}
