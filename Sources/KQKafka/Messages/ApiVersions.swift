/// ApiVersions (key 18): which versions of each API the broker supports. The first request on
/// every connection. A broker that does not know the version asked answers UNSUPPORTED_VERSION
/// in the version 0 layout, listing its own ApiVersions range, and the client asks again.
package struct ApiVersionsRequest: KafkaRequest {
  package static let apiKey = ApiKey.apiVersions
  package var clientSoftwareName: String
  package var clientSoftwareVersion: String

  package init(clientSoftwareName: String = "kq", clientSoftwareVersion: String = "0") {
    self.clientSoftwareName = clientSoftwareName
    self.clientSoftwareVersion = clientSoftwareVersion
  }

  package func encode(into writer: inout WireWriter, version: Int16) {
    if version >= 3 {
      writer.string(clientSoftwareName)
      writer.string(clientSoftwareVersion)
      writer.taggedFields()
    }
  }

  package struct Response: Equatable, Sendable {
    package var errorCode: KafkaErrorCode
    package var table: ApiVersionTable
  }

  package static func decodeResponse(_ reader: inout WireReader, version: Int16) throws(WireError) -> Response {
    let errorCode = KafkaErrorCode(try reader.int16())
    // An UNSUPPORTED_VERSION answer is laid out as version 0, whatever was asked.
    let version = errorCode == .unsupportedVersion ? 0 : version
    reader.isFlexible = ApiKey.apiVersions.isFlexible(version)
    var ranges: [Int16: ClosedRange<Int16>] = [:]
    let count = try reader.arrayCount(minimumElementSize: 6)
    for _ in 0..<count {
      let key = try reader.int16()
      let minVersion = try reader.int16()
      let maxVersion = try reader.int16()
      try reader.skipTaggedFields()
      if minVersion <= maxVersion { ranges[key] = minVersion...maxVersion }
    }
    if version >= 1 { _ = try reader.int32() }  // throttle time
    try reader.skipTaggedFields()
    return Response(errorCode: errorCode, table: ApiVersionTable(brokerRanges: ranges))
  }
}
