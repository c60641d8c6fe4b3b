import KQCommands

/// One `--json` produce line: parsed, and when it parses, encoded and parsed again to the same
/// record (`JSONRecord`: whatever bytes go through `encode`, `parse` gives them back).
enum JSONEnvelopeTarget {
  static func run(_ input: UnsafeRawBufferPointer) {
    guard let record = try? JSONRecord.parse(input) else { return }
    var line: [UInt8] = []
    let headers = record.headers
    withBytes(record.key) { key in
      withBytes(record.value) { value in
        let headerPointers = headers.map { header in
          (key: copy(header.key), value: header.value.map(copy))
        }
        defer { for header in headerPointers { header.key.deallocate(); header.value?.deallocate() } }
        JSONRecord.encode(
          topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp,
          key: key, value: value,
          headers: headerPointers.map { (key: UnsafeRawBufferPointer($0.key), value: $0.value.map(UnsafeRawBufferPointer.init)) },
          into: &line)
      }
    }
    let again: JSONRecord
    do { again = try line.withUnsafeBytes { raw in try JSONRecord.parse(raw) } } catch {
      wrongAnswer("the encoded record does not parse: \(error): \(String(decoding: line, as: UTF8.self))")
    }
    if again != record { wrongAnswer("parse(encode(r)) != r: \(String(decoding: line, as: UTF8.self))") }
  }

  static func withBytes(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> Void) {
    guard let bytes else { return body(nil) }
    bytes.withUnsafeBytes { body($0) }
  }

  static func copy(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    buffer.copyBytes(from: bytes)
    return buffer
  }
}
