import Testing

@testable import KQKafka

/// Valid responses with bytes flipped, cut or inserted decode to a value or a `WireError`:
/// never a trap (which would end the test run) and never an allocation a count claims
/// before the bytes are there.
@Suite("Decoding mutated responses")
struct MutatedResponseTests {
  /// Valid bodies: Metadata (newest and oldest), Fetch with records, JoinGroup.
  nonisolated(unsafe) static let bodies: [(name: String, decode: ([UInt8]) -> Void, body: [UInt8])] = {
    var result: [(String, ([UInt8]) -> Void, [UInt8])] = []
    for version: Int16 in [1, 12] {
      var w = WireWriter(isFlexible: ApiKey.metadata.isFlexible(version))
      ScriptedBroker.metadata(&w, version: version, port: 9092, topics: ["orders": 3, "users": 1])
      result.append(("Metadata v\(version)", decoder(MetadataRequest.self, version), w.bytes))
    }
    var fetch = WireWriter(isFlexible: true)
    fetch.int32(0)
    fetch.int16(0)
    fetch.int32(0)
    fetch.arrayCount(1)
    fetch.string("orders")
    fetch.arrayCount(1)
    fetch.int32(0)
    fetch.int16(0)
    fetch.int64(3)
    fetch.int64(3)
    fetch.int64(0)
    fetch.arrayCount(0)
    fetch.int32(-1)
    fetch.bytes(TestBatch.encode([TestRecord(key: "k", value: "v", timestamp: 1)]))
    fetch.taggedFields()
    fetch.taggedFields()
    fetch.taggedFields()
    result.append(("Fetch v12", decoder(FetchRequest.self, 12), fetch.bytes))
    var join = WireWriter(isFlexible: true)
    join.int32(0)
    join.int16(0)
    join.int32(1)
    join.nullableString("consumer")
    join.nullableString("range")
    join.string("m-1")
    join.bool(false)
    join.string("m-1")
    join.array(["m-1", "m-2"]) { w, member in
      w.string(member)
      w.nullableString(nil)
      w.bytes(ConsumerProtocol.Subscription(topics: ["orders"]).encoded)
      w.taggedFields()
    }
    join.taggedFields()
    result.append(("JoinGroup v9", decoder(JoinGroupRequest.self, 9), join.bytes))
    var describe = WireWriter(isFlexible: true)
    describe.int32(0)
    describe.arrayCount(1)
    describe.int16(0)
    describe.nullableString(nil)
    describe.string("loaders")
    describe.string("Stable")
    describe.string("consumer")
    describe.string("range")
    describe.array(["m-1"]) { w, member in
      w.string(member)
      w.nullableString(nil)
      w.string("kq")
      w.string("/127.0.0.1")
      w.bytes(ConsumerProtocol.Subscription(topics: ["orders"]).encoded)
      w.bytes(ConsumerProtocol.Assignment(partitions: ["orders": [0, 2]]).encoded)
      w.taggedFields()
    }
    describe.int32(Int32.min)
    describe.taggedFields()
    describe.taggedFields()
    result.append(("DescribeGroups v6", decoder(DescribeGroupsRequest.self, 6), describe.bytes))
    return result
  }()

  static func decoder<R: KafkaRequest>(_: R.Type, _ version: Int16) -> ([UInt8]) -> Void {
    { bytes in
      var reader = WireReader(bytes, isFlexible: R.apiKey.isFlexible(version))
      _ = try? R.decodeResponse(&reader, version: version)
    }
  }

  @Test("the valid bodies decode")
  func validBodies() throws {
    for (name, _, body) in Self.bodies {
      var reader = WireReader(body, isFlexible: true)
      switch name {
      case "Metadata v12": #expect(try MetadataRequest.decodeResponse(&reader, version: 12).topics.count == 2)
      case "Fetch v12": #expect(try FetchRequest.decodeResponse(&reader, version: 12).partitions.first?.records.count == 70)
      case "JoinGroup v9": #expect(try JoinGroupRequest.decodeResponse(&reader, version: 9).members.count == 2)
      case "DescribeGroups v6":
        let group = try DescribeGroupsRequest.decodeResponse(&reader, version: 6).first
        #expect(group?.members.first?.assignedPartitions == ["orders": [0, 2]])
      default: continue
      }
    }
  }

  @Test("mutated bodies never trap", arguments: 0..<300 as Range<UInt64>)
  func mutations(seed: UInt64) {
    var random = SplitMix(seed: seed)
    for (_, decode, body) in Self.bodies {
      var bytes = body
      for _ in 0..<(1 + random.next() % 3) {
        guard !bytes.isEmpty else { break }
        let position = Int(random.next() % UInt64(bytes.count))
        switch random.next() % 4 {
        case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
        case 1: bytes.removeSubrange(position...)
        case 2: bytes.insert(contentsOf: [0x7f, 0xff, 0xff, 0xff], at: position)
        default: bytes[position] ^= 0x80
        }
      }
      decode(bytes)
    }
  }
}
