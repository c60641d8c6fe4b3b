/// The header before every request body. Version 1 (classic requests): api key, api version,
/// correlation id, client id. Version 2 (flexible requests) adds tagged fields; the client id
/// keeps its int16 length even then.
package struct RequestHeader: Equatable, Sendable {
  package var apiKey: ApiKey
  package var apiVersion: Int16
  package var correlationId: Int32
  package var clientId: String?

  package init(apiKey: ApiKey, apiVersion: Int16, correlationId: Int32, clientId: String?) {
    self.apiKey = apiKey
    self.apiVersion = apiVersion
    self.correlationId = correlationId
    self.clientId = clientId
  }

  /// Version 2 exactly when the request's version is flexible.
  package var isFlexible: Bool { apiKey.isFlexible(apiVersion) }

  package func encode(into writer: inout WireWriter) {
    writer.isFlexible = isFlexible
    writer.int16(apiKey.rawValue)
    writer.int16(apiVersion)
    writer.int32(correlationId)
    writer.classicNullableString(clientId)
    writer.taggedFields()
  }
}
