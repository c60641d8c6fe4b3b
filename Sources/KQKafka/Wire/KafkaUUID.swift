/// A 16-byte UUID as Kafka sends it (topic ids): two big-endian 64-bit halves. All zeros is
/// Kafka's "no id".
package struct KafkaUUID: Hashable, Sendable {
  package var high: UInt64
  package var low: UInt64

  package init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  package static let zero = KafkaUUID(high: 0, low: 0)
}
