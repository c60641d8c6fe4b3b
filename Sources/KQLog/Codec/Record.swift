/// One record as a value: what producers hand in and tests compare. Hot paths use
/// `RecordView` over the batch bytes instead.
package struct Record: Equatable, Hashable, Sendable {
  package var key: [UInt8]?
  package var value: [UInt8]?
  package var headers: [Header]
  package var timestamp: Int64

  package init(key: [UInt8]? = nil, value: [UInt8]?, headers: [Header] = [], timestamp: Int64) {
    self.key = key
    self.value = value
    self.headers = headers
    self.timestamp = timestamp
  }
}

/// A record header: a string name (never null) and a nullable value. Order and repeats matter.
package struct Header: Equatable, Hashable, Sendable {
  package var key: [UInt8]
  package var value: [UInt8]?
  package init(key: [UInt8], value: [UInt8]?) {
    self.key = key
    self.value = value
  }
}

/// A record read back from the log, with its place.
package struct StoredRecord: Equatable, Sendable {
  package var offset: Int64
  package var record: Record
  package init(offset: Int64, record: Record) {
    self.offset = offset
    self.record = record
  }
}
