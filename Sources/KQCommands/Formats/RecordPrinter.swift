import Glibc
import KQLog

/// Renders records into an output buffer in the chosen `--format`, `--json`, `-0` or plain
/// form. The buffer is written by its owner in large writes.
final class RecordPrinter {
  let output: ConsumeOptions.Output
  let topic: String
  private var topicBytes: [UInt8]
  private var scratch: [UInt8] = []

  init(output: ConsumeOptions.Output, topic: String) {
    self.output = output
    self.topic = topic
    self.topicBytes = Array(topic.utf8)
  }

  /// Throws `BatchDecodeError.malformedRecord` when the headers it must show are malformed.
  @inline(__always)
  func print(_ record: RecordView, partition: Int, into buffer: ByteBuffer) throws {
    switch output {
    case .values:
      buffer.append(record.value)
      buffer.append(byte: 10)
    case .nulTerminated:
      buffer.append(record.value)
      buffer.append(byte: 0)
    case .json:
      var headers: [(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?)] = []
      try record.forEachHeader { headers.append(($0, $1)) }
      scratch.removeAll(keepingCapacity: true)
      JSONRecord.encode(
        topic: topic, partition: partition, offset: record.offset, timestamp: record.timestamp, key: record.key,
        value: record.value, headers: headers, into: &scratch)
      buffer.append(scratch)
    case .format(let format):
      let start = buffer.count
      do { try printFormatted(record, format, partition: partition, into: buffer) } catch {
        buffer.count = start  // no half-printed record
        throw error
      }
    }
  }

  @inline(__always)
  private func printFormatted(_ record: RecordView, _ format: FormatString, partition: Int, into buffer: ByteBuffer) throws {
    for piece in format.pieces {
      switch piece {
      case .literal(let bytes): buffer.append(bytes)
      case .topic: buffer.append(topicBytes)
      case .partition: appendInteger(Int64(partition), buffer)
      case .offset: appendInteger(record.offset, buffer)
      case .timestamp: appendInteger(record.timestamp, buffer)
      case .key:
        buffer.append(record.key)
      case .value:
        buffer.append(record.value)
      case .keyLength: appendInteger(Int64(record.key?.count ?? -1), buffer)
      case .valueLength: appendInteger(Int64(record.value?.count ?? -1), buffer)
      case .headers:
        var first = true
        try record.forEachHeader { key, value in
          if !first { buffer.append(byte: UInt8(ascii: ",")) }
          first = false
          buffer.append(key)
          buffer.append(byte: UInt8(ascii: "="))
          buffer.append(value)
        }
      }
    }
  }

  @inline(__always)
  private func appendInteger(_ value: Int64, _ buffer: ByteBuffer) {
    buffer.reserve(20)
    var v = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { raw in
      repeat {
        raw[23 - count] = UInt8(48 + v % 10)
        v /= 10
        count += 1
      } while v > 0
      if value < 0 { buffer.append(byte: UInt8(ascii: "-")) }
      buffer.append(raw.baseAddress! + 24 - count, count: count)
    }
  }
}
