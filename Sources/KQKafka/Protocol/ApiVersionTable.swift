/// The versions a broker supports for each API, from its ApiVersions response, and the choice
/// made from them: for each API the highest version both kq and the broker support.
package struct ApiVersionTable: Equatable, Sendable {
  /// The broker's range for each API key it listed, including keys kq does not know.
  package var brokerRanges: [Int16: ClosedRange<Int16>]
  /// Versions the client is told not to exceed (`KafkaClientOptions.versionCaps`).
  package var caps: [ApiKey: Int16]

  package init(brokerRanges: [Int16: ClosedRange<Int16>], caps: [ApiKey: Int16] = [:]) {
    self.brokerRanges = brokerRanges
    self.caps = caps
  }

  package func brokerRange(_ api: ApiKey) -> ClosedRange<Int16>? { brokerRanges[api.rawValue] }

  /// The highest version both sides support (and the cap allows); nil when the broker lacks
  /// the API or the ranges do not meet.
  package func version(for api: ApiKey) -> Int16? {
    guard let broker = brokerRange(api) else { return nil }
    let ours = api.supportedVersions
    let highest = min(broker.upperBound, ours.upperBound, caps[api] ?? Int16.max)
    guard highest >= max(broker.lowerBound, ours.lowerBound) else { return nil }
    return highest
  }

  package func supports(_ api: ApiKey) -> Bool { version(for: api) != nil }
}
