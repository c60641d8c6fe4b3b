import KQTestSupport
import Testing

/// Keyed records land where Kafka's Java client puts them: murmur2 of the key, made positive
/// with `& 0x7fffffff`, modulo the partition count (vectors: kafka-format.md §5).
@Suite("murmur2 partitioning")
struct PartitioningTests {
  /// Key, partition of 8, partition of 12.
  static let vectors: [(key: String, p8: Int, p12: Int)] = [
    ("k0", 1, 5), ("k1", 1, 5), ("k2", 1, 9), ("k3", 0, 4), ("k4", 0, 4), ("k5", 4, 0), ("k6", 1, 1),
    ("k7", 0, 4), ("k8", 6, 2), ("k9", 4, 8), ("hello", 5, 9), ("user-42", 4, 4), ("a", 4, 4), ("", 1, 9),
    ("ключ", 0, 8), (String(repeating: "x", count: 300), 4, 4),
  ]

  @Test("keys given with -K land in Kafka's partition of an 8- and a 12-partition topic", arguments: [8, 12])
  func keyDelimited(partitions: Int) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", String(partitions))
    try kq.ok("produce", "t", "-K", "\\t", stdin: Self.vectors.map { "\($0.key)\tv\n" }.joined())
    let placed = try kq.ok("consume", "t", "--format", "%k %p\\n").lines.sorted()
    let expected = Self.vectors.map { "\($0.key) \(partitions == 8 ? $0.p8 : $0.p12)" }.sorted()
    #expect(placed == expected)
  }

  @Test("--key and --json keys (binary ones too) land in Kafka's partition", arguments: [8, 12])
  func fixedAndJSONKeys(partitions: Int) throws {
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "t", "--partitions", String(partitions))
    try kq.ok("produce", "t", "--key", "hello", stdin: "from --key\n")
    try kq.ok("produce", "t", "--json", stdin: #"{"key":{"base64":"AP+A"},"value":"binary key"}"# + "\n")
    let placed = try kq.ok("consume", "t", "--format", "%p %s\\n").lines.sorted()
    let expected = partitions == 8 ? ["3 binary key", "5 from --key"] : ["11 binary key", "9 from --key"]
    #expect(placed == expected.sorted())
  }
}
