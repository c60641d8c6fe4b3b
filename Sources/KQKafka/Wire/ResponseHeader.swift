/// The header before every response body: the correlation id of the request it answers
/// (version 0), then tagged fields when the response is flexible (version 1). ApiVersions
/// responses always use version 0, so a client can read one before it knows any versions.
package struct ResponseHeader: Equatable, Sendable {
  package var correlationId: Int32

  package static func isFlexible(apiKey: ApiKey, apiVersion: Int16) -> Bool {
    apiKey != .apiVersions && apiKey.isFlexible(apiVersion)
  }

  /// Reads the header; `reader` is left at the start of the body.
  package static func decode(_ reader: inout WireReader, isFlexible: Bool) throws(WireError) -> ResponseHeader {
    reader.isFlexible = isFlexible
    let header = ResponseHeader(correlationId: try reader.int32())
    try reader.skipTaggedFields()
    return header
  }
}
