import KQLog

/// Appending to several partitions at once: every request is sent before any answer is
/// awaited, so a flush of N partitions waits about one round trip, not N.
extension KafkaCluster {
  /// One partition's batches.
  package struct ProduceRun {
    package var topic: String
    package var partition: Int32
    package var batches: UnsafeRawBufferPointer

    package init(topic: String, partition: Int32, batches: UnsafeRawBufferPointer) {
      self.topic = topic
      self.partition = partition
      self.batches = batches
    }
  }

  /// `produce(_:to:partition:)` for each run, pipelined: one result per run, in order. A run
  /// whose request could not be sent, or that the leader refused with a retriable error (so
  /// stored nothing), goes again through `produce`, with its retries. A run sent whose answer
  /// was lost goes again too when its batches carry an idempotent producer id (the broker
  /// stores them once), else fails with `deliveryUnknown`, as `produce` says.
  package func produce(runs: [ProduceRun]) -> [Result<ProduceResult, KafkaError>] {
    let deadline = Deadline.after(options.timeout)
    var sent: [(connection: BrokerConnection, ticket: BrokerConnection.Ticket<ProduceRequest>)?] = []
    for run in runs {
      do throws(KafkaError) {
        guard BatchLayout.wholeBatchesLength(run.batches) == run.batches.count, !run.batches.isEmpty else {
          throw .invalidArgument("the bytes to produce are not whole RecordBatch v2 batches")
        }
        let leader = try leader(of: run.topic, partition: run.partition, deadline: deadline)
        let request = ProduceRequest(
          topic: run.topic, partition: run.partition, records: run.batches,
          timeoutMs: timeoutMillis(requestDeadline(deadline)))
        sent.append((leader, try leader.send(request, deadline: requestDeadline(deadline))))
      } catch {
        sent.append(nil)
      }
    }
    var results: [Result<ProduceResult, KafkaError>] = []
    for (run, request) in zip(runs, sent) {
      guard let request else {
        results.append(Result { () throws(KafkaError) in try produce(run.batches, to: run.topic, partition: run.partition) })
        continue
      }
      let isIdempotent =
        Int64(bigEndian: run.batches.loadUnaligned(fromByteOffset: BatchLayout.producerId, as: Int64.self)) >= 0
      let answer: [ProduceRequest.PartitionResult]
      do {
        answer = try request.connection.receive(request.ticket, deadline: requestDeadline(deadline))
      } catch {
        if !error.isRetriable {
          results.append(.failure(error))
        } else if isIdempotent {  // sent again as stamped: the broker stores it once
          results.append(Result { () throws(KafkaError) in try produce(run.batches, to: run.topic, partition: run.partition) })
        } else {
          results.append(.failure(.deliveryUnknown(topic: run.topic, partition: run.partition, cause: error)))
        }
        continue
      }
      guard let result = answer.first(where: { $0.topic == run.topic && $0.partition == run.partition }) else {
        let error = request.connection.fail(
          .malformedResponse(request.connection.address, api: .produce, .unexpectedNull(position: 0)))
        results.append(.failure(.deliveryUnknown(topic: run.topic, partition: run.partition, cause: error)))
        continue
      }
      guard result.errorCode.isNone else {
        let error = KafkaError.broker(
          result.errorCode, subject: .partition(topic: run.topic, partition: run.partition), message: result.errorMessage)
        if !isIdempotent && [.requestTimedOut, KafkaErrorCode(20)].contains(result.errorCode) {
          results.append(.failure(.deliveryUnknown(topic: run.topic, partition: run.partition, cause: error)))
        } else if error.isRetriable {
          forgetMetadata(of: run.topic)
          results.append(Result { () throws(KafkaError) in try produce(run.batches, to: run.topic, partition: run.partition) })
        } else {
          results.append(.failure(error))
        }
        continue
      }
      results.append(
        .success(
          ProduceResult(
            baseOffset: result.baseOffset, logAppendTimeMs: result.logAppendTimeMs >= 0 ? result.logAppendTimeMs : nil,
            logStartOffset: result.logStartOffset)))
    }
    return results
  }
}
