import KQLog

/// Long polls of many partitions at once: one Fetch per leader naming every partition it
/// leads, all sent before any answer is awaited, so a record on any partition ends the wait.
extension KafkaCluster {
  /// Fetches every target from its leader, waiting up to `maxWait` for at least one byte:
  /// one result per target, in order. No retries: a target whose leader could not be asked,
  /// or that an error answered, gets that error (the caller's own fetch of it retries).
  package func fetch(
    _ targets: [FetchPartitionsRequest.Target], maxWait: Duration, partitionMaxBytes: [Int32]
  ) -> [Result<FetchedRecords, KafkaError>] {
    let waitMillis = max(1, maxWait.wireMilliseconds)  // Tansu answers a wait of 0 with nothing
    let deadline = Deadline.after(options.requestTimeout + maxWait)
    var results = [Result<FetchedRecords, KafkaError>](
      repeating: .failure(.invalidArgument("not fetched")), count: targets.count)
    // The targets of each leader, in the order first met.
    var leaders: [(connection: BrokerConnection, indexes: [Int])] = []
    for (index, target) in targets.enumerated() {
      do throws(KafkaError) {
        let leader = try leader(of: target.topic, partition: target.partition, deadline: deadline)
        if let at = leaders.firstIndex(where: { $0.connection === leader }) {
          leaders[at].indexes.append(index)
        } else {
          leaders.append((leader, [index]))
        }
      } catch {
        results[index] = .failure(error)
      }
    }
    var sent: [(connection: BrokerConnection, indexes: [Int], ticket: BrokerConnection.Ticket<FetchPartitionsRequest>)] = []
    for (connection, indexes) in leaders {
      let sizes = indexes.map { partitionMaxBytes.indices.contains($0) ? partitionMaxBytes[$0] : 1 << 20 }
      let total = sizes.reduce(0) { $0 + Int($1) }
      let request = FetchPartitionsRequest(
        targets: indexes.map { targets[$0] }, maxWaitMs: waitMillis, minBytes: 1,
        maxBytes: Int32(clamping: min(total, Self.fetchMaxBytes)), partitionMaxBytes: sizes.max() ?? 1 << 20)
      do throws(KafkaError) {
        sent.append((connection, indexes, try connection.send(request, deadline: deadline)))
      } catch {
        for index in indexes { results[index] = .failure(error) }
      }
    }
    for (connection, indexes, ticket) in sent {
      let response: FetchRequest.Response
      do throws(KafkaError) {
        response = try connection.receive(ticket, deadline: deadline)
      } catch {
        for index in indexes { results[index] = .failure(error) }
        continue
      }
      for index in indexes {
        let target = targets[index]
        let subject = KafkaSubject.partition(topic: target.topic, partition: target.partition)
        guard response.errorCode.isNone else {
          results[index] = .failure(.broker(response.errorCode, subject: subject, message: nil))
          continue
        }
        guard let data = response.partitions.first(where: { $0.topic == target.topic && $0.partition == target.partition })
        else {
          results[index] = .failure(.broker(.unknownServerError, subject: subject, message: "Fetch left the partition out"))
          continue
        }
        guard data.errorCode.isNone else {
          if data.errorCode.isRetriable { forgetMetadata(of: target.topic) }
          results[index] = .failure(.broker(data.errorCode, subject: subject, message: nil))
          continue
        }
        results[index] = .success(FetchedRecords(wholeBatchesOf: data))
      }
    }
    return results
  }

  /// The most one multi-partition answer asks for (Java's `fetch.max.bytes`, 50 MiB).
  static let fetchMaxBytes = 50 << 20
}
