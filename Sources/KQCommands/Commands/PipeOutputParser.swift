import Glibc
import KQLog

/// What `kq pipe`'s command wrote, read as `kq produce` reads its input (lines, NUL-terminated
/// records with -0, JSON Lines with --json, `-K` keys) and handed to the output record by
/// record, each placed in a partition of OUT.
final class PipeOutputParser {
  /// A record the command wrote that OUT cannot take. `record` counts from 1.
  enum Problem: Error {
    case malformedJSON(record: Int, reason: String)
    case tooLarge(record: Int, size: Int, limit: Int64)
    case partitionOutOfRange(record: Int, partition: Int, partitions: Int)
  }

  let framing: PipeOptions.Framing
  let keyDelimiter: [UInt8]?
  let placement: PipeOptions.Placement
  let output: any ExactlyOnceOutput
  let partitions: Int
  let maxMessageBytes: Int64
  /// What the output's own headers may add to a record.
  private let reservedHeaderBytes: Int
  private let keyDelimiterByte: Int32?
  /// The header section of a record without headers: a count of 0.
  private let noHeaders = ByteBuffer(capacity: 64)
  /// The longest line `addLines` may take without the size check `add` makes (its header
  /// section is `noHeaders`, one byte).
  private let largestLineValue: Int

  init(options: PipeOptions, output: any ExactlyOnceOutput) {
    self.framing = options.framing
    self.keyDelimiter = options.keyDelimiter
    self.placement = options.placement
    self.output = output
    self.partitions = output.config.partitions
    self.maxMessageBytes = output.config.maxMessageBytes
    self.reservedHeaderBytes = output.reservedHeaderBytes
    self.keyDelimiterByte = options.keyDelimiter.flatMap { $0.count == 1 ? Int32($0[0]) : nil }
    self.largestLineValue = Int(output.config.maxMessageBytes) - 1 - output.reservedHeaderBytes - BatchLayout.headerSize - 32
    noHeaders.append(byte: 0)
  }

  /// Records of the command's output so far, for messages.
  private(set) var records = 0
  /// The first record the output cannot take; what follows it is not parsed.
  private(set) var problem: Problem?
  private var inputPartition = 0
  private var timestamp: Int64 = 0

  /// Starts the output of one command run, whose records get `timestamp` unless they carry one;
  /// `inputBytes`, what the command gets, is about what it writes back.
  func start(inputPartition: Int, timestamp: Int64, inputBytes: Int) {
    self.inputPartition = inputPartition
    self.timestamp = timestamp
    records = 0
    problem = nil
    linesPartition = nil
    if framing != .json && keyDelimiter == nil {
      let partition = placement == .inputPartition ? inputPartition : inputPartition % partitions
      linesPartition = partition
      // Its records' encoding adds about 8% to 100-byte lines (lengths, batch headers).
      output.reserve(bytes: inputBytes + inputBytes / 8, partition: partition)
    }
  }

  /// Asks the output, before the first batch is read, for room for a batch of `inputBytes`
  /// from `inputPartition` (as `start` does); the memory to fault in meanwhile.
  func prepare(inputPartition: Int, inputBytes: Int) -> [UnsafeMutableRawBufferPointer] {
    guard framing != .json && keyDelimiter == nil else { return [] }
    let partition = placement == .inputPartition ? inputPartition : inputPartition % partitions
    return output.prepare(bytes: inputBytes + inputBytes / 8, partition: partition)
  }

  /// The output partition of every record when the command's output is lines or
  /// NUL-terminated records without keys: they go to the output's bulk path (`addLines`).
  private var linesPartition: Int?

  /// Adds every whole record at the front of `buffer` to the output's open range and removes
  /// them; `atEnd` (the command's output ended), the last one too, terminated or not, as in
  /// produce. After a problem, output is dropped unread.
  func take(_ buffer: ByteBuffer, atEnd: Bool) {
    guard problem == nil else {
      buffer.count = 0
      return
    }
    let delimiter: Int32 = framing == .nulTerminated ? 0 : 10
    let base = buffer.base
    let count = buffer.count
    var start = 0
    do throws(Problem) {
      while start < count {
        if let partition = linesPartition {
          let run = output.addLines(
            base, from: start, count: count, delimiter: delimiter, headers: noHeaders.bytes, timestamp: timestamp,
            largestValue: largestLineValue, partition: partition)
          records += run.records
          start = run.end
          if start == count { break }
        }
        // One record the bulk path left (or every record, when there is none).
        let end: Int
        if let found = memchr(base + start, delimiter, count - start) {
          end = UnsafeMutableRawPointer(found) - base
        } else if atEnd {
          end = count
        } else {
          break
        }
        let record = UnsafeRawBufferPointer(start: base + start, count: end - start)
        start = end + 1
        if framing == .json {
          if try json(record, number: records + 1, inputPartition: inputPartition, timestamp: timestamp) { records += 1 }
        } else {
          records += 1
          try plain(record, number: records, inputPartition: inputPartition, timestamp: timestamp)
        }
      }
    } catch {
      problem = error
      buffer.count = 0
      return
    }
    buffer.removeFirst(min(start, count))
    if buffer.count > Int(maxMessageBytes) + (1 << 20) {
      // A record longer than any can be: refused now instead of buffered without end.
      problem = .tooLarge(record: records + 1, size: buffer.count, limit: maxMessageBytes)
      buffer.count = 0
    }
  }

  @inline(__always)
  private func plain(_ bytes: UnsafeRawBufferPointer, number: Int, inputPartition: Int, timestamp: Int64) throws(Problem) {
    var key: UnsafeRawBufferPointer?
    var value = bytes
    if let (split, length) = findKeyDelimiter(in: bytes) {
      key = UnsafeRawBufferPointer(rebasing: bytes[0..<split])
      value = UnsafeRawBufferPointer(rebasing: bytes[(split + length)...])
    }
    try add(key: key, value: value, headers: noHeaders.bytes, partition: nil, timestamp: timestamp, number: number, inputPartition: inputPartition)
  }

  /// False for a blank line, which is skipped as produce skips it.
  private func json(_ bytes: UnsafeRawBufferPointer, number: Int, inputPartition: Int, timestamp: Int64) throws(Problem) -> Bool {
    var line = bytes
    if line.count > 0 && line[line.count - 1] == 13 { line = UnsafeRawBufferPointer(rebasing: line[0..<(line.count - 1)]) }
    if line.allSatisfy({ $0 == 32 || $0 == 9 }) { return false }
    let parsed: JSONRecord
    do { parsed = try JSONRecord.parse(line) } catch { throw .malformedJSON(record: number, reason: error.message) }
    if let time = parsed.timestamp, !RecordTimestamp.isValid(time) {
      throw .malformedJSON(
        record: number, reason: "timestamp \(time) is before 1970: a record's time is 1970 or later, or -1 for none")
    }
    let headers = EncodedHeaders(parsed.headers.map { Header(key: $0.key, value: $0.value) })
    var problem: Problem?
    headers.bytes.withUnsafeBytes { headerBytes in
      withOptionalBytes(parsed.key) { key in
        withOptionalBytes(parsed.value) { value in
          do throws(Problem) {
            try add(
              key: key, value: value, headers: headerBytes, partition: parsed.partition, timestamp: parsed.timestamp ?? timestamp,
              number: number, inputPartition: inputPartition)
          } catch { problem = error }
        }
      }
    }
    if let problem { throw problem }
    return true
  }

  @inline(__always)
  private func add(
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer, partition explicit: Int?,
    timestamp: Int64, number: Int, inputPartition: Int
  ) throws(Problem) {
    let partition: Int
    if let explicit {
      guard explicit < partitions else { throw .partitionOutOfRange(record: number, partition: explicit, partitions: partitions) }
      partition = explicit
    } else if placement == .inputPartition {
      partition = inputPartition
    } else if let key {
      partition = partitions == 1 ? 0 : Partitioner.partition(forKey: key, partitions: partitions)
    } else {
      partition = inputPartition % partitions
    }
    let headerBytes = headers.count + reservedHeaderBytes
    let approximate = (key?.count ?? 0) + (value?.count ?? 0) + headerBytes + BatchLayout.headerSize + 32
    if approximate > Int(maxMessageBytes) {
      let size = BatchEncoder.batchSize(key: key, value: value, headerBytes: headerBytes)
      if size > Int(maxMessageBytes) { throw .tooLarge(record: number, size: size, limit: maxMessageBytes) }
    }
    output.add(key: key, value: value, headers: headers, timestamp: timestamp, partition: partition)
  }

  /// Where `-K`'s delimiter starts in `bytes`, and its length.
  @inline(__always)
  private func findKeyDelimiter(in bytes: UnsafeRawBufferPointer) -> (Int, Int)? {
    guard let delimiter = keyDelimiter, let base = bytes.baseAddress else { return nil }
    if let byte = keyDelimiterByte {
      guard let hit = memchr(base, byte, bytes.count) else { return nil }
      return (UnsafeRawPointer(hit) - base, 1)
    }
    return delimiter.withUnsafeBytes { needle in bytes.firstOffset(of: needle).map { ($0, needle.count) } }
  }
}
