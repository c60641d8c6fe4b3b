/// A request body of one API and the decoding of its response body. Both are written once for
/// the whole range `ApiKey.supportedVersions`; fields present in some versions only are
/// guarded by `version` as in Kafka's message schemas (clients/src/main/resources/common/
/// message). The writer and reader arrive already set to the version's flexibility.
package protocol KafkaRequest {
  associatedtype Response
  static var apiKey: ApiKey { get }
  func encode(into writer: inout WireWriter, version: Int16)
  static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response
}
