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
  }

  static func decode<R: KafkaRequest>(_: R.Type, _ bytes: [UInt8]) {
    for version in R.apiKey.supportedVersions {
      var reader = WireReader(bytes, isFlexible: R.apiKey.isFlexible(version))
      _ = try? R.decodeResponse(&reader, version: version)
    }
  }
}
