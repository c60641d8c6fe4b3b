import KQLog
/// The `kq.pipe` header that `MarkedOutput` puts on the first record of every batch it writes
/// (FORMAT.md, "Pipes"): which group's processing of which input range the batch came from,
/// and where in that range's output for this partition the batch starts. Its value is ASCII,
/// `GROUP TOPIC PARTITION FROM END INDEX`: names cannot hold a space, numbers are decimal.
package struct PipeMark: Equatable, Sendable {
  package static let headerName: [UInt8] = Array("kq.pipe".utf8)

  package var group: String
  package var input: String
  package var partition: Int
  /// The input offsets the output came from: `lowerBound` to before `upperBound`.
  package var range: Range<Int64>
  /// The batch's first record is the `index`-th (from 0) of the range's output records for
  /// this output partition.
  package var index: Int

  package init(group: String, input: String, partition: Int, range: Range<Int64>, index: Int) {
    self.group = group
    self.input = input
    self.partition = partition
    self.range = range
    self.index = index
  }

  /// Everything before INDEX, with its trailing space: the same for every batch of a range.
  package static func prefix(group: GroupName, input: InputPartition, range: Range<Int64>) -> [UInt8] {
    Array(
      (group.value + " " + input.topic.value + " " + String(input.partition) + " " + String(range.lowerBound) + " "
        + String(range.upperBound) + " ").utf8)
  }

  package var encodedValue: [UInt8] {
    Array((group + " " + input + " " + String(partition) + " " + String(range.lowerBound) + " " + String(range.upperBound) + " "
      + String(index)).utf8)
  }

  /// The mark in a header value, or nil when it is not one (a malformed value is no mark).
  package init?(parsing value: UnsafeRawBufferPointer) {
    guard value.count <= 1024 else { return nil }
    let fields = value.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
    guard fields.count == 6 else { return nil }
    let text = fields.map { String(decoding: $0, as: UTF8.self) }
    guard (try? GroupName(text[0])) != nil, (try? TopicName(text[1])) != nil,
      let partition = Self.number(text[2]), partition < Int64(TopicConfig.maxPartitions),
      let from = Self.number(text[3]), let end = Self.number(text[4]), from < end,
      let index = Self.number(text[5]), index <= Int64(Int32.max)
    else { return nil }
    self.init(group: text[0], input: text[1], partition: Int(partition), range: from..<end, index: Int(index))
  }

  /// A decimal number of 0 or more, digits only.
  private static func number(_ text: String) -> Int64? {
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return Int64(text)
  }
}
