/// FindCoordinator (key 10) of a consumer group (the broker that runs its membership and
/// stores its offsets) or of a transactional id (the broker that runs its transactions).
/// Version 4 and later ask for a list of keys; kq asks for one.
package struct FindCoordinatorRequest: KafkaRequest {
  package static let apiKey = ApiKey.findCoordinator
  /// The group, or the transactional id.
  package var group: String
  /// 0: a group; 1: a transactional id.
  package var keyType: Int8

  package init(group: String) {
    self.group = group
    self.keyType = 0
  }

  package init(transactionalId: String) {
    self.group = transactionalId
    self.keyType = 1
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    if version <= 3 { writer.string(group) }
    writer.int8(keyType)
    if version >= 4 { writer.stringArray([group]) }
    writer.taggedFields()
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var errorMessage: String?
    package var nodeId: Int32
    package var host: String
    package var port: Int32
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    _ = try reader.int32()  // throttle time (version 1 and later)
    if version <= 3 {
      let errorCode = KafkaErrorCode(try reader.int16())
      let message = try reader.nullableString()
      let response = Response(
        errorCode: errorCode, errorMessage: message, nodeId: try reader.int32(), host: try reader.string(),
        port: try reader.int32())
      try reader.skipTaggedFields()
      return response
    }
    let coordinators = try reader.array(minimumElementSize: 12) { (r: inout WireReader) throws(WireError) in
      _ = try r.string()  // key
      let nodeId = try r.int32()
      let host = try r.string()
      let port = try r.int32()
      let errorCode = KafkaErrorCode(try r.int16())
      let message = try r.nullableString()
      try r.skipTaggedFields()
      return Response(errorCode: errorCode, errorMessage: message, nodeId: nodeId, host: host, port: port)
    }
    try reader.skipTaggedFields()
    guard let first = coordinators.first else { throw .unexpectedNull(position: reader.position) }
    return first
  }
}
