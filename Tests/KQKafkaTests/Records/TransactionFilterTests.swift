import KQLog
import Testing

@testable import KQKafka

/// Which fetched batches a reader of committed records hands out: Kafka's rule (the aborted
/// transactions a fetch lists) and the look-ahead for each producer's marker (for a broker
/// that lists none).
@Suite("reading committed records: TransactionFilter")
struct TransactionFilterTests {
  /// A batch at `offset` of `producer` (-1: none): data, or a control batch with a commit or
  /// abort marker; transactional unless `producer` is -1.
  static func batch(_ offset: Int64, producer: Int64, marker: Bool? = nil) -> [UInt8] {
    let record =
      marker.map { commits in TestRecord(keyBytes: [0, 0, 0, commits ? 1 : 0], valueBytes: [0, 0, 0, 0, 0, 0], timestamp: 1, headers: []) }
      ?? TestRecord(key: nil, value: "v\(offset)", timestamp: 1)
    var bytes = TestBatch.encode([record], baseOffset: offset)
    if producer >= 0 {
      var attributes = BatchLayout.transactionalFlag | (marker == nil ? 0 : BatchLayout.controlFlag)
      attributes = attributes.bigEndian
      withUnsafeBytes(of: attributes) { bytes.replaceSubrange(21..<23, with: $0) }
      withUnsafeBytes(of: producer.bigEndian) { bytes.replaceSubrange(43..<51, with: $0) }
      withUnsafeBytes(of: Int16(0).bigEndian) { bytes.replaceSubrange(51..<53, with: $0) }
      let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
      withUnsafeBytes(of: crc.bigEndian) { bytes.replaceSubrange(17..<21, with: $0) }
    }
    return bytes
  }

  /// Producer 1 aborts a transaction (0, marker at 2), producer 2 commits one (1, marker 3),
  /// a plain record (4), producer 1 commits a second (5, marker 6).
  static let log =
    batch(0, producer: 1) + batch(1, producer: 2) + batch(2, producer: 1, marker: false) + batch(3, producer: 2, marker: true)
    + batch(4, producer: -1) + batch(5, producer: 1) + batch(6, producer: 1, marker: true)

  static func verdicts(_ bytes: [UInt8], listed: [AbortedTransaction]) throws -> [TransactionFilter.Verdict] {
    var filter = TransactionFilter(listed)
    var verdicts: [TransactionFilter.Verdict] = []
    try bytes.withUnsafeBytes { raw in
      var position = 0
      while position < raw.count, let base = raw.baseAddress {
        let batch = try RecordBatchView(at: base + position, available: raw.count - position)
        let ahead = UnsafeRawBufferPointer(rebasing: raw[(position + batch.size)...])
        verdicts.append(filter.verdict(on: batch, ahead: ahead))
        position += batch.size
      }
    }
    return verdicts
  }

  @Test("a listed aborted transaction's batches and every control batch are skipped; the rest kept")
  func listedAborts() throws {
    #expect(
      try Self.verdicts(Self.log, listed: [AbortedTransaction(producerId: 1, firstOffset: 0)])
        == [.skip, .keep, .skip, .skip, .keep, .keep, .skip])
  }

  @Test("with no aborted transaction listed, each producer's next marker ahead decides")
  func markersAhead() throws {
    #expect(try Self.verdicts(Self.log, listed: []) == [.skip, .keep, .skip, .skip, .keep, .keep, .skip])
  }

  @Test("a transactional batch whose marker is not among the batches fetched is undecided")
  func markerBeyondTheFetch() throws {
    let cut = Self.batch(0, producer: 1) + Self.batch(1, producer: -1)
    #expect(try Self.verdicts(cut, listed: []) == [.undecided, .keep])
    // Listed as aborted, it is decided without its marker (Kafka's rule).
    #expect(try Self.verdicts(cut, listed: [AbortedTransaction(producerId: 1, firstOffset: 0)]) == [.skip, .keep])
  }
}
