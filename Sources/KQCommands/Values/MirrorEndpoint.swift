import KQLog

/// One side of `kq mirror SRC DST`: a topic of the data directory (`TOPIC`), or of a cluster
/// (`kafka://HOST:PORT[,HOST:PORT...]/TOPIC`).
struct MirrorEndpoint: Equatable {
  enum Place: Equatable {
    case directory
    /// The brokers as written in the URL (`HOST:PORT[,...]`).
    case cluster(brokers: String)
  }

  var place: Place
  var topic: TopicName

  static let scheme = "kafka://"

  /// The endpoint `text` names, or why it names none (a hint for the usage error).
  static func parse(_ text: String) -> Result<MirrorEndpoint, Problem> {
    guard text.hasPrefix(scheme) else {
      if text.contains("://") { return .failure(.url("the only URL scheme is kafka://")) }
      do { return .success(MirrorEndpoint(place: .directory, topic: try TopicName(text))) } catch {
        if case .invalidTopicName(_, let why) = error { return .failure(.topic(why)) }
        return .failure(.topic("invalid name"))
      }
    }
    let rest = text.dropFirst(scheme.count)
    guard let slash = rest.firstIndex(of: "/") else { return .failure(.url("it names no topic after the brokers")) }
    let brokers = rest[..<slash]
    let topicText = String(rest[rest.index(after: slash)...])
    guard !brokers.isEmpty else { return .failure(.url("it names no broker")) }
    for broker in brokers.split(separator: ",", omittingEmptySubsequences: false) {
      guard let colon = broker.lastIndex(of: ":"), colon != broker.startIndex,
        let port = Int(broker[broker.index(after: colon)...]), port >= 1, port <= 65_535
      else { return .failure(.url("'\(broker)' is not HOST:PORT")) }
    }
    do { return .success(MirrorEndpoint(place: .cluster(brokers: String(brokers)), topic: try TopicName(topicText))) } catch {
      if case .invalidTopicName(_, let why) = error { return .failure(.topic(why)) }
      return .failure(.topic("invalid name"))
    }
  }

  enum Problem: Error, Equatable {
    case url(String)
    case topic(String)

    /// What is wrong, after the side and its text: a URL that is not one, or a bad topic.
    var phrase: String {
      switch self {
      case .url: "is not a kafka:// URL kq can use"
      case .topic: "names no valid topic"
      }
    }

    var hint: String {
      switch self {
      case .url(let why): why + "; write kafka://HOST:PORT[,HOST:PORT...]/TOPIC, or a local TOPIC"
      case .topic(let why): "the topic name: " + why
      }
    }
  }

  /// For messages and the `--json` summary: `TOPIC` or `kafka://HOST:PORT/TOPIC`.
  var description: String {
    switch place {
    case .directory: topic.value
    case .cluster(let brokers): Self.scheme + brokers + "/" + topic.value
    }
  }

  /// The group a mirror to this destination commits with when `--group` is not given:
  /// `kq-mirror.TOPIC` for a topic of the data directory, `kq-mirror.HOST_PORT.TOPIC` for a
  /// cluster (its first broker, ':' written '_'). It is kept on the source, per source topic.
  var defaultGroupText: String {
    switch place {
    case .directory: return "kq-mirror." + topic.value
    case .cluster(let brokers):
      let first = brokers.split(separator: ",").first.map(String.init) ?? brokers
      let legal = String(decoding: first.utf8.map { TopicName.isLegal($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
      return "kq-mirror." + legal + "." + topic.value
    }
  }
}
