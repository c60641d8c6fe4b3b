import KQCompression
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Batches whose records section is compressed (FORMAT.md, "Compression"): stored as Kafka
/// stores them, read back exactly, and every stream that does not decode named as damage.
@Suite("compressed batches")
struct CompressedBatchTests {
  static let codecs = CompressionCodec.allCases.filter { $0 != .none }
  static let start: Int64 = 1_700_000_000_000

  /// Log lines, which every codec shrinks, with keys, a null value and headers among them.
  static func logLines(_ count: Int, from first: Int = 0) -> [Record] {
    (first..<(first + count)).map { (i: Int) -> Record in
      let key: [UInt8]? = i % 7 == 0 ? nil : Array("host-\(i % 5)".utf8)
      let line = "2026-12-04T09:00:00Z INFO request \(i) served in \(i % 97) ms"
      let value: [UInt8]? = i % 50 == 49 ? nil : Array(line.utf8)
      let headers: [Header] = i % 3 == 0 ? [Header(key: Array("trace".utf8), value: Array("t\(i)".utf8))] : []
      return Record(key: key, value: value, headers: headers, timestamp: start + Int64(i))
    }
  }

  @Test("a batch encoded with a codec names it in attributes bits 0–2, its CRC covers the compressed bytes, and it reads back the same records",
    arguments: codecs)
  func roundTrip(codec: CompressionCodec) throws {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    let runs = [Self.logLines(300), Self.logLines(1, from: 300), Self.logLines(200, from: 301)]
    try Batches.append(runs, to: log, codec: codec)
    log.close()
    let path = fixture.logPath(base: 0)
    let headers = try Batches.scan(path)
    // The single short record does not shrink: it is stored plain.
    #expect(headers.map(\.header.codecBits) == [codec.rawValue, 0, codec.rawValue])
    let bytes = try ByteSurgery.read(path)
    try bytes.withUnsafeBytes { raw in
      for (position, header) in headers {
        let view = try RecordBatchView(at: raw.baseAddress! + position, available: raw.count - position)
        try view.validateCRC()
        #expect(view.size == header.size)
      }
    }
    #expect(bytes.count < 501 * 40, "\(bytes.count) bytes for 501 records of ~60 bytes")
    let expected = runs.flatMap { $0 }.enumerated().map { StoredRecord(offset: Int64($0.offset), record: $0.element) }
    #expect(try fixture.readAll() == expected)
    #expect(try fixture.readAll(from: 123) == Array(expected.dropFirst(123)))
    #expect(try IndexLookup.offset(forTimestamp: Self.start + 77, folder: fixture.folder(), fileSystem: FileSystem()) == 77)
  }

  /// Writes one compressed batch of log lines, then lets `damage` rewrite its records section
  /// (the CRC stored anew over the new bytes), and returns what a reader throws.
  static func readError(codec: CompressionCodec, damage: (inout [UInt8]) -> Void) throws -> (any Error)? {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    try Batches.append([logLines(100)], to: log, codec: codec)
    log.close()
    let path = fixture.logPath(base: 0)
    let file = try ByteSurgery.read(path)
    var section = Array(file[BatchLayout.headerSize...])
    damage(&section)
    try ByteSurgery.write(Array(file[..<BatchLayout.headerSize]) + section, to: path)
    let length = Int32(BatchLayout.headerSize - BatchLayout.logOverhead + section.count)
    try ByteSurgery.rewriteBatch(path, batch: 0, at: BatchLayout.batchLength, with: ByteSurgery.bigEndian(length))
    do {
      _ = try fixture.readAll()
      return nil
    } catch {
      return error
    }
  }

  static func reason(_ error: (any Error)?) -> CompressionError? {
    guard case .corruptBatch(_, 0, .undecodableRecords(0, let reason)) = error as? StorageError else { return nil }
    return reason
  }

  @Test("a compressed stream of garbage under a valid CRC is named damage with its batch's offset, for every cut and many overwrites",
    arguments: codecs)
  func garbageIsNamedDamage(codec: CompressionCodec) throws {
    var random = SeededGenerator(seed: UInt64(codec.rawValue))
    for round in 0..<40 {
      let error = try Self.readError(codec: codec) { section in
        switch round % 3 {
        case 0: section = Array(section.prefix(round * section.count / 40))  // cut short
        case 1:
          for _ in 0...round { section[Int.random(in: 0..<section.count, using: &random)] ^= 0x5a }
        default: section = random.bytes(count: 1 + round * 7)
        }
      }
      // A flip may leave a stream that still decodes; then its records are checked as any.
      if case .malformedRecord = error as? BatchDecodeError { continue }
      if error == nil && round % 3 == 1 { continue }
      #expect(Self.reason(error) != nil, "round \(round): \(String(describing: error))")
    }
  }

  @Test("a codec number Kafka does not define (5, 6, 7) is named damage")
  func unknownCodecIsDamage() throws {
    for bits in 5...7 {
      let fixture = try PartitionFixture()
      let log = try fixture.writer()
      try Batches.append([Self.logLines(10)], to: log, codec: .lz4)
      log.close()
      let path = fixture.logPath(base: 0)
      try ByteSurgery.rewriteBatch(path, batch: 0, at: BatchLayout.attributes, with: [0, UInt8(bits)])
      #expect(throws: StorageError.corruptBatch(file: path, position: 0, reason: .undecodableRecords(baseOffset: 0, .unknownCodec(bits)))) {
        try fixture.readAll()
      }
    }
  }

  @Test("a batch whose records decode past recordCount × max.message.bytes is refused before it is decoded",
    arguments: codecs)
  func decodedSizeIsBounded(codec: CompressionCodec) throws {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    // One record of 2 MiB: at most 1 MiB is allowed for one record (max.message.bytes 1 MiB).
    let huge = Record(key: nil, value: [UInt8](repeating: 0x61, count: 2 << 20), timestamp: Self.start)
    try Batches.append([[huge]], to: log, codec: codec)
    log.close()
    let path = fixture.logPath(base: 0)
    #expect(throws: StorageError.corruptBatch(file: path, position: 0, reason: .undecodableRecords(baseOffset: 0, .outputLimitExceeded(codec, limit: 1 << 20)))) {
      try fixture.readAll()
    }
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem(), maxMessageBytes: 4 << 20)
    #expect(try reader.nextBatch()?.records() == [StoredRecord(offset: 0, record: huge)])
  }

  @Test("a compressed last batch cut at any byte is a torn tail: a writer drops it and appends at its base offset",
    arguments: codecs)
  func tornCompressedTail(codec: CompressionCodec) throws {
    let fixture = try PartitionFixture()
    let log = try fixture.writer()
    try Batches.append([Self.logLines(100)], to: log, codec: codec)
    try Batches.append([Self.logLines(100, from: 100)], to: log, codec: codec)
    log.close()
    let path = fixture.logPath(base: 0)
    let saved = try ByteSurgery.read(path)
    let batches = try Batches.scan(path)
    let last = batches[1]
    let kept = Self.logLines(100).enumerated().map { StoredRecord(offset: Int64($0.offset), record: $0.element) }
    let after = Record(key: nil, value: Array("after".utf8), timestamp: Self.start + 500)
    for length in stride(from: last.position + 1, to: last.position + last.header.size, by: 7) {
      try ByteSurgery.write(Array(saved[..<length]), to: path)
      #expect(try fixture.readAll() == kept, "cut at \(length), before recovery")
      let writer = try fixture.writer()
      try Batches.append([[after]], to: writer, codec: codec)
      writer.close()
      #expect(try fixture.readAll() == kept + [StoredRecord(offset: 100, record: after)], "cut at \(length)")
    }
  }
}

@Suite("compression.type")
struct CompressionTypeConfigTests {
  @Test("compression.type takes Kafka's values; producer keeps the producer's codec, the others replace it")
  func values() throws {
    var config = TopicConfig()
    #expect(config.compressionType == .producer)
    #expect(config.compressionType.storedCodec(requested: .zstd) == .zstd)
    for (text, codec) in [("uncompressed", CompressionCodec.none), ("gzip", .gzip), ("snappy", .snappy), ("lz4", .lz4), ("zstd", .zstd)] {
      try config.set("compression.type", to: text)
      #expect(config.value(of: "compression.type") == text)
      #expect(config.compressionType.storedCodec(requested: .snappy) == codec)
    }
    #expect(throws: StorageError.invalidConfig(key: "compression.type", value: "lz5", reason: "use producer, uncompressed, gzip, snappy, lz4, zstd")) {
      try config.set("compression.type", to: "lz5")
    }
  }

  @Test("a config file written before compression.type existed reads as producer; the key round-trips")
  func olderFiles() throws {
    var config = TopicConfig()
    try config.set("compression.type", to: "zstd")
    let text = String(decoding: config.serialized, as: UTF8.self)
    #expect(try TopicConfig(parsing: config.serialized, file: "config") == config)
    let older = text.split(separator: "\n").filter { !$0.hasPrefix("compression.type=") }.joined(separator: "\n")
    #expect(try TopicConfig(parsing: Array(older.utf8), file: "config").compressionType == .producer)
  }
}
