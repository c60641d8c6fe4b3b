@testable import KQKafka

/// Runs every response decoder, at every version kq supports, over the same bytes.
enum ResponseDecoders {
  static func decodeAll(_ bytes: [UInt8], seed: UInt64) {
    decode(ApiVersionsRequest.self, bytes)
    decode(MetadataRequest.self, bytes)
    decode(CreateTopicsRequest.self, bytes)
    decode(DeleteTopicsRequest.self, bytes)
    decode(CreatePartitionsRequest.self, bytes)
    decode(DescribeConfigsRequest.self, bytes)
    decode(IncrementalAlterConfigsRequest.self, bytes)
    decode(ProduceRequest.self, bytes)
    decode(FetchRequest.self, bytes)
    decode(ListOffsetsRequest.self, bytes)
    decode(InitProducerIdRequest.self, bytes)
    decode(FindCoordinatorRequest.self, bytes)
    decode(JoinGroupRequest.self, bytes)
    decode(SyncGroupRequest.self, bytes)
    decode(HeartbeatRequest.self, bytes)
    decode(LeaveGroupRequest.self, bytes)
    decode(OffsetCommitRequest.self, bytes)
    decode(OffsetFetchRequest.self, bytes)
    decode(ListGroupsRequest.self, bytes)
    decode(DescribeGroupsRequest.self, bytes)
    decode(DeleteGroupsRequest.self, bytes)
    _ = try? ConsumerProtocol.Subscription(decoding: bytes)
    _ = try? ConsumerProtocol.Assignment(decoding: bytes)
  }

  static func decode<R: KafkaRequest>(_: R.Type, _ bytes: [UInt8]) {
    for version in R.apiKey.supportedVersions {
      var reader = WireReader(bytes, isFlexible: R.apiKey.isFlexible(version))
      _ = try? R.decodeResponse(&reader, version: version)
    }
  }
}
