import KQLog

/// Reading record batches from partition leaders.
extension KafkaCluster {
  /// What a fetch returned for a partition.
  package struct FetchedRecords: Equatable, Sendable {
    /// Whole RecordBatch v2 batches, as stored. The first may start before the offset asked
    /// (a batch is returned whole): skip its records below that offset. Control batches of
    /// transactions are included; their attributes say so. A batch the broker cut short at
    /// the size limit is left out.
    package var records: [UInt8]
    /// Read committed: the transactions aborted among `records` (see `AbortedTransactions`).
    package var abortedTransactions: [AbortedTransaction] = []
    /// The offset after the last one consumers may read (the log end offset on one replica).
    package var highWatermark: Int64
    package var lastStableOffset: Int64
    /// The first offset still stored (-1 if the broker does not say).
    package var logStartOffset: Int64
    /// When no batch came whole: the size the first one announced (a broker that cuts at
    /// `maxBytes` even the first batch; ask again with at least this many bytes).
    package var firstBatchSize: Int? = nil

    package func readableEnd(_ isolation: FetchIsolation) -> Int64 {
      isolation.readableEnd(lastStableOffset: lastStableOffset, highWatermark: highWatermark)
    }
  }

  /// Fetches from `offset` of a partition: up to `maxBytes` (at least one whole batch, however
  /// large), waiting up to `maxWait` on the broker for at least `minBytes` to arrive (long
  /// polling). An offset outside the log is OFFSET_OUT_OF_RANGE, not retried: the caller
  /// decides where to go (see `offset(of:partition:at:)`).
  package func fetch(
    _ topic: String, partition: Int32, from offset: Int64, maxBytes: Int32 = 1 << 20, maxWait: Duration = .zero,
    minBytes: Int32 = 1, isolation: FetchIsolation = .readCommitted
  ) throws(KafkaError) -> FetchedRecords {
    guard offset >= 0, maxBytes > 0, minBytes >= 0, maxWait >= .zero else {
      throw .invalidArgument("fetch needs offset >= 0, maxBytes > 0, minBytes >= 0 and a wait >= 0")
    }
    // At least 1 ms: Tansu 0.6.0 answers a wait of 0 with no partitions at all, even when
    // records are there; a Kafka broker answers at once either way.
    let waitMillis = max(1, maxWait.wireMilliseconds)
    return try retrying("fetching from '\(topic)' partition \(partition)", until: .after(options.timeout + maxWait)) {
      (deadline) throws(KafkaError) in
      let leader = try leader(of: topic, partition: partition, deadline: deadline)
      var wait = waitMillis
      var response: FetchRequest.Response
      while true {
        let request = FetchRequest(
          topic: topic, partition: partition, offset: offset, maxWaitMs: wait, minBytes: minBytes, maxBytes: maxBytes,
          isolation: isolation)
        response = try leader.request(request, deadline: requestDeadline(deadline, extra: .milliseconds(Int64(wait))))
        // Tansu 0.6.0 answers no records, below its high watermark, when gathering them takes
        // longer than the wait: ask again, waiting longer (up to 500 ms), within the deadline.
        guard wait < 500, !deadline.hasPassed,
          let data = response.partitions.first(where: { $0.topic == topic && $0.partition == partition }),
          data.errorCode.isNone, data.records.isEmpty,
          offset < data.readableEnd(isolation)
        else { break }
        wait = min(500, max(10, wait * 2))
      }
      guard response.errorCode.isNone else {
        throw .broker(response.errorCode, subject: .partition(topic: topic, partition: partition), message: nil)
      }
      guard let data = response.partitions.first(where: { $0.topic == topic && $0.partition == partition }) else {
        throw leader.fail(.malformedResponse(leader.address, api: .fetch, .unexpectedNull(position: 0)))
      }
      guard data.errorCode.isNone else {
        throw .broker(data.errorCode, subject: .partition(topic: topic, partition: partition), message: nil)
      }
      return FetchedRecords(wholeBatchesOf: data)
    }
  }
}

extension KafkaCluster.FetchedRecords {
  /// A partition's answer with a batch the broker cut short at the size limit left out.
  init(wholeBatchesOf data: FetchRequest.PartitionData) {
    var records = data.records
    let whole = records.withUnsafeBytes { BatchLayout.wholeBatchesLength($0) }
    if whole == 0, records.count >= BatchLayout.logOverhead {
      let length = records.withUnsafeBytes {
        Int32(bigEndian: $0.loadUnaligned(fromByteOffset: BatchLayout.batchLength, as: Int32.self))
      }
      firstBatchSize = length > 0 ? BatchLayout.logOverhead + Int(length) : nil
    }
    if whole < records.count { records.removeSubrange(whole...) }
    self.records = records
    abortedTransactions = data.abortedTransactions
    highWatermark = data.highWatermark
    lastStableOffset = data.lastStableOffset
    logStartOffset = data.logStartOffset
  }
}
