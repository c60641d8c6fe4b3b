import KQLog

/// Which batches of one fetch's answer a reader of committed records hands out. A
/// transactional batch of producer P is aborted when the fetch listed a transaction of P
/// aborted from an offset at or before it, until P's abort marker (Kafka's Java consumer
/// decides by that list alone); or when P's next control batch among the records fetched is
/// an abort marker. The second rule is for brokers that leave the list empty (Tansu 0.6.0
/// writes the markers but lists no aborted transaction): below the last stable offset every
/// transaction has its marker, so looking ahead for it decides each batch. Control batches
/// carry no records for the reader. Batches are asked about in offset order; markers found
/// ahead (`learn`) are kept across fetches until passed.
package struct TransactionFilter {
  /// Listed transactions not reached yet, by first offset, descending (the next at the end).
  private var pending: [AbortedTransaction]
  /// Producers whose listed aborted transaction is being read.
  private var aborting: Set<Int64> = []
  /// Per producer, its next marker found ahead: its offset and whether it aborts.
  private var markers: [Int64: (offset: Int64, aborts: Bool)] = [:]

  package enum Verdict: Equatable { case keep, skip, undecided }

  package init(_ listed: [AbortedTransaction]) {
    pending = listed.sorted { $0.firstOffset > $1.firstOffset }
  }

  /// A new fetch's answer: its list of aborted transactions replaces the last one's (which
  /// covered the offsets fetched then); markers found ahead are kept.
  package mutating func startFetch(listed: [AbortedTransaction]) {
    pending = listed.sorted { $0.firstOffset > $1.firstOffset }
    aborting = []
  }

  /// Records `producerId`'s next marker, found ahead of the batches fetched.
  package mutating func learn(producerId: Int64, markerOffset: Int64, aborts: Bool) {
    markers[producerId] = (markerOffset, aborts)
  }

  /// The verdict on `batch`, `ahead` being the whole batches fetched after it: `undecided`
  /// when it is transactional and its producer's marker is not among them (fetch more).
  package mutating func verdict(on batch: RecordBatchView, ahead: UnsafeRawBufferPointer) -> Verdict {
    let producerId = batch.producerId
    guard producerId >= 0 else { return batch.isControl ? .skip : .keep }
    let last = batch.lastOffset
    while let next = pending.last, next.firstOffset <= last {
      aborting.insert(next.producerId)
      pending.removeLast()
    }
    if batch.isControl {
      if Self.isAbortMarker(batch) { aborting.remove(producerId) }
      if let marker = markers[producerId], marker.offset <= batch.baseOffset { markers[producerId] = nil }
      return .skip
    }
    guard batch.isTransactional else { return .keep }
    if aborting.contains(producerId) { return .skip }
    if markers[producerId] == nil, let found = Self.nextMarker(of: producerId, in: ahead) { markers[producerId] = found }
    guard let marker = markers[producerId], marker.offset > batch.baseOffset else { return .undecided }
    return marker.aborts ? .skip : .keep
  }

  /// The first control batch of `producerId` among whole batches `bytes`.
  package static func nextMarker(of producerId: Int64, in bytes: UnsafeRawBufferPointer) -> (offset: Int64, aborts: Bool)? {
    guard let base = bytes.baseAddress else { return nil }
    var position = 0
    while position < bytes.count {
      guard let batch = try? RecordBatchView(at: base + position, available: bytes.count - position) else { return nil }
      if batch.isControl && batch.producerId == producerId {
        guard (try? batch.validateCRC()) != nil else { return nil }
        return (batch.baseOffset, isAbortMarker(batch))
      }
      position += batch.size
    }
    return nil
  }

  /// A control batch's record key is version (int16) and type (int16): 0 abort, 1 commit.
  static func isAbortMarker(_ batch: RecordBatchView) -> Bool {
    var type: Int16?
    try? batch.forEachRecord { record in
      if let key = record.key, key.count >= 4 {
        type = Int16(bigEndian: key.loadUnaligned(fromByteOffset: 2, as: Int16.self))
      }
      return false
    }
    return type == 0
  }
}
