import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// `AppendThread`, as produce uses it: one flush in flight while the next is encoded into the
/// other encoder, each finished before the next begins.
@Suite("append thread")
struct AppendThreadTests {
  @Test("flushes land in the order begun, at dense offsets, whether the thread or the caller appends each")
  func flushesInOrder() throws {
    let fixture = try PartitionFixture()
    let service = LocalLogService(directory: fixture.data)
    let thread = try #require(service.appendThread())
    defer { thread.stop() }
    let writer = try service.openWriter(fixture.topic, partition: 0, config: fixture.config)
    let encoders = [BatchEncoder(maxBatchBytes: 4096, capacity: 1024), BatchEncoder(maxBatchBytes: 4096, capacity: 1024)]
    var values: [String] = []
    var results: [Result<AppendedRecords, StorageError>] = []
    for flush in 0..<40 {
      let encoder = encoders[flush % 2]
      for index in 0..<(flush * 7 % 90 + 1) {
        let value = "flush \(flush) record \(index) " + String(repeating: "x", count: index)
        encoder.append(Record(key: nil, value: Array(value.utf8), headers: [], timestamp: 1_700_000_000_000))
        values.append(value)
      }
      results += thread.finish()  // the flush before, appended while this one was encoded
      encoders[(flush + 1) % 2].reset()
      thread.begin([PartitionAppend(writer: writer, batches: UnsafeMutableRawBufferPointer(mutating: encoder.finish()))])
    }
    results += thread.finish()
    let appended = try results.map { try $0.get() }
    var next: Int64 = 0
    for records in appended {
      #expect(records.firstOffset == next)
      next += Int64(records.recordCount)
    }
    #expect(appended.count == 40 && next == Int64(values.count))
    let stored = try fixture.readAll()
    #expect(stored.map(\.offset) == Array(0..<Int64(values.count)))
    #expect(stored.map { String(decoding: $0.record.value ?? [], as: UTF8.self) } == values)
  }

  @Test("a failed append is reported by finish, and the flushes before it stay stored")
  func failureReported() throws {
    let fixture = try PartitionFixture()
    let service = LocalLogService(directory: fixture.data)
    let thread = try #require(service.appendThread())
    defer { thread.stop() }
    let writer = try service.openWriter(fixture.topic, partition: 0, config: fixture.config)
    let encoder = BatchEncoder(maxBatchBytes: 4096, capacity: 1024)
    encoder.append(Record(key: nil, value: Array("kept".utf8), headers: [], timestamp: 1_700_000_000_000))
    thread.begin([PartitionAppend(writer: writer, batches: UnsafeMutableRawBufferPointer(mutating: encoder.finish()))])
    #expect(try thread.finish().map { try $0.get() } == [AppendedRecords(firstOffset: 0, recordCount: 1)])
    try fixture.data.deleteTopic(fixture.topic)
    encoder.reset()
    encoder.append(Record(key: nil, value: Array("gone".utf8), headers: [], timestamp: 1_700_000_000_000))
    thread.begin([PartitionAppend(writer: writer, batches: UnsafeMutableRawBufferPointer(mutating: encoder.finish()))])
    let results = thread.finish()
    #expect(results.count == 1)
    #expect(throws: StorageError.topicDeleted(fixture.topic.value)) { try results[0].get() }
  }
}
