import Foundation
import KQCompression
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Compacted segments are Kafka's: kafka-python parses every batch the cleaner wrote (records
/// dropped inside batches, batches dropped, delete horizons set), validates each CRC and index
/// entry, and yields exactly the records kq's readers return.
@Suite("kafka-python reads compacted segments")
struct KafkaPythonCompactionTests {
  @Test(
    "kafka-python validates every batch, CRC and index entry of compacted segments and reads kq's records",
    .enabled(if: TestPeer.kafkaPython.shouldRun))
  func kafkaPythonReadsCompactedSegments() throws {
    try TestPeer.kafkaPython.require()
    var config = TopicConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = 4096
    config.minCleanableDirtyRatio = 1  // compacted only when asked, below
    let fixture = try PartitionFixture(topic: "users", config: config)
    let writer = try fixture.writer()
    var random = SeededGenerator(seed: 15)
    for round in 0..<40 {
      let records = (0..<Int.random(in: 1...40, using: &random)).map { index in
        let key = Array("user-\(Int.random(in: 0..<25, using: &random))".utf8)
        let value: [UInt8]? = index % 9 == 4 ? nil : Array("{\"round\":\(round),\"n\":\(index)}".utf8)
        return Record(
          key: key, value: value, headers: index % 3 == 0 ? [Header(key: Array("h".utf8), value: [1, 2])] : [],
          timestamp: fixture.clock.nowMillis() + Int64(index))
      }
      try Batches.append([records], to: writer, codec: round % 4 == 1 ? .gzip : .none)
      if round % 10 == 9 {
        #expect(try writer.compact().didClean)
        fixture.clock.advance(by: 60_000)
      }
    }
    writer.close()
    let kept = try fixture.readAll()
    let script = fixture.directory.at("check_segments.py")
    try SegmentCheckScript.source.write(toFile: script, atomically: true, encoding: .utf8)
    let run = try KafkaPythonTests.python([script, fixture.directory.at("data"), "compacted"], in: fixture.directory)
    #expect(run.status == 0, "kafka-python found problems:\n\(run.stderr)")
    let output = try KafkaPythonTests.parse(run.stdout)
    #expect(output.records["users-0"] == kept)
    // The cleaner did drop records and set delete horizons.
    let offsets = kept.map(\.offset)
    #expect(offsets.count < Int(offsets.last ?? 0))
    var sparse = 0
    var horizons = 0
    for base in try fixture.segmentBases() {
      let bytes = try ByteSurgery.read(fixture.logPath(base: base))
      try bytes.withUnsafeBytes { raw in
        var position = 0
        while position + BatchLayout.headerSize <= raw.count {
          let header = try BatchHeader(checking: raw.baseAddress! + position, gapsAllowed: true)
          if header.recordCount < Int32(header.lastOffset - header.baseOffset + 1) { sparse += 1 }
          let attributes = raw.baseAddress!.bigEndian(Int16.self, at: position + BatchLayout.attributes)
          if attributes & BatchLayout.deleteHorizonFlag != 0 { horizons += 1 }
          position += header.size
        }
      }
    }
    #expect(sparse > 0 && horizons > 0, "\(sparse) batches lost records, \(horizons) have a delete horizon")
  }
}
