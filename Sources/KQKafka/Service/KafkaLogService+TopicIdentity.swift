import KQLog

/// Whether a topic is still the one a reader or writer opened: a cluster may answer fetches,
/// produces and commits for a topic deleted since (Tansu 0.6.0 acknowledges them and stores
/// nothing), so kq asks Metadata, as a data directory looks at the partition's folder.
extension KafkaLogService {
  /// The id Metadata gave `topic` last (zero when the broker sends none, or it is not known).
  func topicId(of topic: TopicName) -> KafkaUUID {
    (try? cluster.topicMetadata(topic.value, deadline: .after(cluster.options.timeout)))?.id ?? .zero
  }

  /// Throws `topicDeleted` unless Metadata, asked afresh, names `topic` with id `id` (any id
  /// when zero): it was deleted, or deleted and created again, since `id` was taken.
  func confirmTopic(_ topic: TopicName, id: KafkaUUID) throws(StorageError) {
    let now: TopicMetadata
    do { now = try cluster.describeTopic(topic.value) } catch {
      if case .topicNotFound = error.storageError { throw .topicDeleted(topic.value) }
      throw error.storageError
    }
    if id != .zero && now.id != .zero && now.id != id { throw .topicDeleted(topic.value) }
  }

  /// `error`, or `topicDeleted` when the append failed because the topic is gone or another
  /// of its name replaced it (a recreated topic refuses the producer's next sequence number).
  /// A cluster that did not answer is not asked again: that would only wait out another timeout.
  func failure(_ error: StorageError, appendingTo topic: TopicName, id: KafkaUUID) -> StorageError {
    if case .topicNotFound = error { return .topicDeleted(topic.value) }
    if case .cluster(_, let kind) = error, kind == .unavailable || kind == .deliveryUnknown || kind == .interrupted {
      return error
    }
    do { try confirmTopic(topic, id: id) } catch .topicDeleted(let name) { return .topicDeleted(name) } catch {}
    return error
  }

  /// `confirmTopic` for a writer, once per topic after appends: the first writer of a topic to
  /// confirm asks, the others of that topic have nothing left to ask until the next append.
  func confirmAppended(to topic: TopicName, id: KafkaUUID) throws(StorageError) {
    guard unconfirmedTopics.remove(topic.value) != nil else { return }
    do { try confirmTopic(topic, id: id) } catch {
      unconfirmedTopics.insert(topic.value)
      throw error
    }
  }
}
