import KQLog
import KQStorage

/// Arbitrary bytes read as a segment: batch after batch, each checked the way readers check
/// one (length, magic, CRC, offsets following on), and every record and header of each read
/// whether its CRC held or not, so the record decoder meets bytes no CRC vouches for.
enum BatchTarget {
  nonisolated(unsafe) static let buffer = ByteBuffer(capacity: 0)
  nonisolated(unsafe) static let valueCopies = ByteBuffer(capacity: 0)

  static func run(_ input: UnsafeRawBufferPointer) {
    guard let base = input.baseAddress else { return }
    var position = 0
    var expected: Int64?
    while position < input.count {
      let view: RecordBatchView
      do { view = try RecordBatchView(at: base + position, available: input.count - position) } catch { return }
      if let announced = RecordBatchView.announcedSize(at: base + position, available: input.count - position),
        announced != view.size
      {
        wrongAnswer("announced size \(announced), view size \(view.size)")
      }
      let isWhole: Bool
      do {
        try BatchCheck.batch(view, expected: expected, checkCRC: true)
        isWhole = true
      } catch { isWhole = false }
      readRecords(of: view, isWhole: isWhole)
      expected = isWhole ? view.nextOffset : nil
      position += view.size
    }
  }

  static func readRecords(of view: RecordBatchView, isWhole: Bool) {
    let records: RecordBatchView
    do { records = try view.decompressed(into: buffer, maxMessageBytes: 1 << 20) } catch { return }
    var count: Int64 = 0
    var values: [UInt8] = []
    do {
      try records.forEachRecord { record in
        if isWhole && record.offset != view.baseOffset + count { wrongAnswer("record \(count) has offset \(record.offset)") }
        count += 1
        if let value = record.value { values += value }
        values.append(10)
        try record.forEachHeader { _, _ in }
        return true
      }
    } catch { return }
    if isWhole && count != Int64(view.recordCount) { wrongAnswer("\(count) records read of \(view.recordCount)") }
    // The bulk consumer's copy of values (`kq_append_values`) reads what the decoder read.
    if count == Int64(view.recordCount), let copied = try? records.appendValues(into: valueCopies, terminator: 10) {
      if copied != Int(count) || valueCopies.array != values { wrongAnswer("appendValues disagrees with the decoder") }
    }
    valueCopies.removeFirst(valueCopies.count)
  }
}
