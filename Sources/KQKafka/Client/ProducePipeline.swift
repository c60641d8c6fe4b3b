import KQLog

/// Produce requests kept in flight per partition, for batches stamped by an idempotent
/// producer: as Kafka's producer with `enable.idempotence` and
/// `max.in.flight.requests.per.connection=5`, up to five requests per partition are on their
/// way at once, answered in order, so the producer encodes the next while the broker stores
/// the last.
///
/// Order is kept by the sequences: a retriable failure (a lost connection, NOT_LEADER, a
/// request never sent) takes the answers of the partition's later requests, then sends every
/// unacknowledged one again, oldest first, one at a time through `KafkaCluster.produce` (its
/// retries; a DUPLICATE_SEQUENCE_NUMBER there finds where the first send was stored). A later
/// request answered OUT_OF_ORDER_SEQUENCE_NUMBER because an earlier one failed goes again
/// after it, as Kafka's producer does; the oldest answered so after its resend is a failure.
/// The first failure left after retries ends the pipeline: nothing is sent or resent after it,
/// and the requests in flight count only when their answer acknowledges them.
package final class ProducePipeline {
  package static let maxInFlightPerPartition = 5
  /// Batches in flight across partitions (Kafka's `buffer.memory` is 32 MiB): a flush of eight
  /// partitions of 1 MiB each leaves room for one more before the oldest must be answered.
  package static let maxBytesInFlight = 16 << 20
  /// Copies kept for the next requests instead of freed (a 1 MiB copy freed and allocated
  /// again costs its page faults each time).
  private static let spareBuffers = 6

  private let cluster: KafkaCluster
  /// Requests sent and not yet answered, per partition, oldest first.
  private var queues: [PartitionKey: [InFlight]] = [:]
  /// Flushes not yet settled, oldest first: each run's partition and result (nil until known).
  private var flights: [Flight] = []
  /// The number of the flush at `flights[0]`.
  private var firstFlight = 0
  private var bytesInFlight = 0
  private var spare: [ByteBuffer] = []
  /// The failure that ended the pipeline.
  package private(set) var failure: KafkaError?

  package init(cluster: KafkaCluster) {
    self.cluster = cluster
  }

  private struct PartitionKey: Hashable {
    var topic: String
    var partition: Int32
  }

  private struct Flight {
    var partitions: [PartitionKey]
    var results: [Result<KafkaCluster.ProduceResult, KafkaError>?]
  }

  private struct InFlight {
    var flight: Int
    var slot: Int
    var key: PartitionKey
    /// The batches, kept until acknowledged: a resend sends them as stamped.
    var bytes: ByteBuffer
    var request: Request
    /// When the request must be settled, resends included: the client's timeout from the
    /// moment it was first sent (`--broker-timeout` bounds the whole produce of a batch).
    var deadline: Deadline

    var wasSent: Bool {
      if case .sent = request { true } else { false }
    }

    /// Why it was not sent, when it was not.
    var unsentBecause: KafkaError? {
      if case .unsent(let error) = request { error } else { nil }
    }
  }

  private enum Request {
    case sent(BrokerConnection, BrokerConnection.Ticket<ProduceRequest>)
    case unsent(KafkaError)
  }

  private enum Answer {
    case acknowledged(KafkaCluster.ProduceResult)
    case retry(KafkaError)
    case failed(KafkaError)
  }

  /// Whether any request is waiting for its answer.
  package var isEmpty: Bool { queues.values.allSatisfy(\.isEmpty) }

  /// Sends one flush: a request per run, each run's batches copied. Waits only for the oldest
  /// answers while a partition has `maxInFlightPerPartition` requests out or the bytes in
  /// flight would pass `maxBytesInFlight`. Returns the flushes settled meanwhile, oldest first.
  package func send(_ runs: [KafkaCluster.ProduceRun]) -> [[Result<KafkaCluster.ProduceResult, KafkaError>]] {
    let flight = firstFlight + flights.count
    flights.append(
      Flight(
        partitions: runs.map { PartitionKey(topic: $0.topic, partition: $0.partition) },
        results: Array(repeating: nil, count: runs.count)))
    for (slot, run) in runs.enumerated() {
      let key = PartitionKey(topic: run.topic, partition: run.partition)
      if let failure {
        flights[flight - firstFlight].results[slot] = .failure(failure)
        continue
      }
      guard BatchLayout.wholeBatchesLength(run.batches) == run.batches.count, !run.batches.isEmpty else {
        flights[flight - firstFlight].results[slot] = .failure(
          .invalidArgument("the bytes to produce are not whole RecordBatch v2 batches"))
        continue
      }
      while (queues[key]?.count ?? 0) >= Self.maxInFlightPerPartition { answerOldest(of: key) }
      while bytesInFlight + run.batches.count > Self.maxBytesInFlight && answerOldest() {}
      let bytes = spare.popLast() ?? ByteBuffer(capacity: run.batches.count)
      bytes.count = 0
      bytes.append(run.batches)
      let deadline = Deadline.after(cluster.options.timeout)
      let request = transmit(bytes, to: key, deadline: deadline)
      queues[key, default: []].append(
        InFlight(flight: flight, slot: slot, key: key, bytes: bytes, request: request, deadline: deadline))
      bytesInFlight += bytes.count
    }
    return takeSettled()
  }

  /// Waits for every answer; returns the flushes settled, oldest first.
  package func settle() -> [[Result<KafkaCluster.ProduceResult, KafkaError>]] {
    while answerOldest() {}
    return takeSettled()
  }

  /// Sends `bytes` to the partition's leader, unless an earlier request of the partition was
  /// never sent: this one waits for that one's resend, in order.
  private func transmit(_ bytes: ByteBuffer, to key: PartitionKey, deadline: Deadline) -> Request {
    if let error = queues[key]?.lazy.compactMap(\.unsentBecause).first { return .unsent(error) }
    do throws(KafkaError) {
      let leader = try cluster.leader(of: key.topic, partition: key.partition, deadline: deadline)
      let request = ProduceRequest(
        topic: key.topic, partition: key.partition, records: UnsafeRawBufferPointer(start: bytes.base, count: bytes.count),
        timeoutMs: cluster.timeoutMillis(cluster.requestDeadline(deadline)))
      return .sent(leader, try leader.send(request, deadline: cluster.requestDeadline(deadline)))
    } catch {
      return .unsent(error)
    }
  }

  /// Answers the oldest request in flight: the oldest of the partition of the first run not
  /// yet settled. False when none is in flight.
  private func answerOldest() -> Bool {
    for flight in flights {
      for (slot, result) in flight.results.enumerated() where result == nil {
        let key = flight.partitions[slot]
        guard queues[key]?.isEmpty == false else { continue }  // not sent yet: of the flush being sent
        answerOldest(of: key)
        return true
      }
    }
    return false
  }

  /// Waits for the answer to the partition's oldest request and settles it: acknowledged,
  /// failed, or sent again with every later one of the partition.
  private func answerOldest(of key: PartitionKey) {
    guard var queue = queues[key], !queue.isEmpty else { return }
    let oldest = queue.removeFirst()
    queues[key] = queue
    switch answer(oldest) {
    case .acknowledged(let result): record(oldest, .success(result))
    case .failed(let error): record(oldest, .failure(error))
    case .retry: resend(from: oldest)
    }
  }

  /// The broker's answer to `request`, and what to do with it.
  private func answer(_ request: InFlight) -> Answer {
    let mayRetry = failure == nil
    let connection: BrokerConnection
    let ticket: BrokerConnection.Ticket<ProduceRequest>
    switch request.request {
    case .unsent(let error): return mayRetry && error.isRetriable ? .retry(error) : .failed(failure ?? error)
    case .sent(let to, let sent): (connection, ticket) = (to, sent)
    }
    let answers: [ProduceRequest.PartitionResult]
    do throws(KafkaError) {
      answers = try connection.receive(ticket, deadline: cluster.requestDeadline(request.deadline))
    } catch {
      if mayRetry && error.isRetriable && request.deadline.remaining > cluster.options.retryBackoff { return .retry(error) }
      return .failed(unknownDelivery(request, error))
    }
    guard let result = answers.first(where: { $0.topic == request.key.topic && $0.partition == request.key.partition })
    else {
      let error = connection.fail(.malformedResponse(connection.address, api: .produce, .unexpectedNull(position: 0)))
      return mayRetry ? .retry(error) : .failed(error)
    }
    guard result.errorCode.isNone else {
      let error = KafkaError.broker(
        result.errorCode, subject: .partition(topic: request.key.topic, partition: request.key.partition),
        message: result.errorMessage)
      let resendable =
        error.isRetriable || result.errorCode == .duplicateSequenceNumber
        || result.errorCode == .outOfOrderSequenceNumber
      return mayRetry && resendable ? .retry(error) : .failed(error)
    }
    return .acknowledged(
      KafkaCluster.ProduceResult(
        baseOffset: result.baseOffset, logAppendTimeMs: result.logAppendTimeMs >= 0 ? result.logAppendTimeMs : nil,
        logStartOffset: result.logStartOffset))
  }

  /// `first` failed retriably: the partition's later requests are answered (one acknowledged
  /// stands), then every unacknowledged one is sent again in order, each waiting for the one
  /// before; the first to fail for good ends the pipeline and fails the rest unsent.
  private func resend(from first: InFlight) {
    cluster.forgetMetadata(of: first.key.topic)
    var unacknowledged = [first]
    for later in queues[first.key] ?? [] {
      if case .acknowledged(let result) = answer(later) {
        record(later, .success(result))
      } else {
        unacknowledged.append(later)
      }
    }
    queues[first.key] = []
    for request in unacknowledged {
      if let failure {
        record(request, .failure(failure))
        continue
      }
      let batches = UnsafeRawBufferPointer(start: request.bytes.base, count: request.bytes.count)
      do throws(KafkaError) {
        record(
          request,
          .success(try cluster.produce(batches, to: request.key.topic, partition: request.key.partition, until: request.deadline)))
      } catch {
        record(request, .failure(unknownDelivery(request, error)))
      }
    }
  }

  /// `error` ends `request`: when it was sent and the broker never answered (a timeout, a
  /// connection lost), the broker may have stored its batches, and the failure says so.
  private func unknownDelivery(_ request: InFlight, _ error: KafkaError) -> KafkaError {
    let unanswered: Bool
    switch error {
    case .timedOut(_, _, let last?): unanswered = last.isRetriable
    default: unanswered = error.isRetriable  // deliveryUnknown is not: it already says so
    }
    guard request.wasSent, unanswered else { return error }
    return .deliveryUnknown(topic: request.key.topic, partition: request.key.partition, cause: error)
  }

  /// Records what became of `request`, and keeps its copy for a later request.
  private func record(_ request: InFlight, _ result: Result<KafkaCluster.ProduceResult, KafkaError>) {
    if case .failure(let error) = result, failure == nil { failure = error }
    flights[request.flight - firstFlight].results[request.slot] = result
    bytesInFlight -= request.bytes.count
    if spare.count < Self.spareBuffers { spare.append(request.bytes) }
  }

  /// The flushes at the front whose every run is settled, removed.
  private func takeSettled() -> [[Result<KafkaCluster.ProduceResult, KafkaError>]] {
    var settled: [[Result<KafkaCluster.ProduceResult, KafkaError>]] = []
    while let first = flights.first, first.results.allSatisfy({ $0 != nil }) {
      settled.append(first.results.compactMap { $0 })
      flights.removeFirst()
      firstFlight += 1
    }
    return settled
  }
}
