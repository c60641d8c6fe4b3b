import Glibc
import KQLog

/// `ExactlyOnceOutput` over a local data directory (FORMAT.md, "Pipes"). The first record of
/// every batch it writes carries a `kq.pipe` header (`PipeMark`) naming the group, the input
/// partition and range the batch's records came from, and the batch's place in that range's
/// output for its partition. A range's output for each output partition is appended in one
/// call, partitions in ascending order (on a thread while the next range is encoded: see
/// `end`), so a crash leaves, per output partition, a prefix of it: `resume` reads the
/// output's tail since the checkpoint, finds the ranges written and not committed, and how
/// many of their records each partition holds; processing them again writes only the records
/// that are missing.
package final class MarkedOutput: ExactlyOnceOutput {
  let directory: DataDirectory
  let group: GroupName
  let topic: TopicName
  package let config: TopicConfig
  /// Batches close at 128 KiB, as `kq produce` closes them (or the topic's limit when smaller).
  private let batchLimit: Int
  private var writers: [Int: PartitionLog] = [:]
  /// The encoders of the range being added, per output partition.
  private var encoders: [BatchEncoder?]
  /// The encoders of the range before it, whose batches `appending` is appending.
  private var appendingEncoders: [BatchEncoder?]
  private var appending: RangeAppend?
  private var appendFailure: StorageError?
  /// The header section of a batch's first record: its own headers and the mark.
  private let firstHeaders = ByteBuffer(capacity: 1024)

  /// The range being added: its input partition, offsets and mark (all but INDEX).
  private var input: InputPartition?
  private var range: Range<Int64> = 0..<0
  private var markPrefix: [UInt8] = []
  /// Per output partition, the range's share so far; one allocation, so that a record's `add`
  /// costs no array uniqueness check, retain or release.
  private let shares: UnsafeMutableBufferPointer<Share>

  private struct Share {
    /// The range's output records added so far.
    var added = 0
    /// How many of them the log holds already (a range `resume` returned): not written again.
    var present = 0
    /// The partition's encoder, unretained (`encoders` holds it).
    var encoder: Unmanaged<BatchEncoder>?
  }

  /// What `resume` found of uncommitted ranges: per input partition and range start, the
  /// range's end and, per output partition, how many of its records are stored.
  var found: [InputPartition: [Int64: (end: Int64, present: [Int: Int])]] = [:]
  /// Per input partition, the end of the last range ended since the last commit.
  private var ended: [InputPartition: Int64] = [:]
  /// Input partitions with a range ended without any output since the last commit: such a
  /// range leaves no mark, so it is committed before a later range of the partition writes
  /// any (else `resume` could not tell where that later range starts from the commit).
  private var emptySinceCommit: Set<InputPartition> = []
  private var unsynced: Set<Int> = []
  /// Per output partition, an offset at or below where this process appends next: where
  /// `resume` will find the next ranges of the inputs this process holds.
  var knownEnds: [Int: Int64] = [:]
  package var confirmsInput: ((InputPartition) throws(StorageError) -> Void)?

  package init(directory: DataDirectory, group: GroupName, topic: TopicName, config: TopicConfig) {
    self.directory = directory
    self.group = group
    self.topic = topic
    self.config = config
    self.batchLimit = min(config.maxBatchBytes, 1 << 17)
    self.encoders = Array(repeating: nil, count: config.partitions)
    self.appendingEncoders = encoders
    self.shares = .allocate(capacity: config.partitions)
    _ = shares.initialize(from: repeatElement(Share(), count: config.partitions))
  }

  deinit {
    close()
    shares.deallocate()
  }

  package func close() {
    try? finishAppending()  // what it did not append is not committed: `resume` finds it so
    for writer in writers.values { writer.close() }
    writers = [:]
  }

  package var hasUncommittedRanges: Bool { !ended.isEmpty }

  // MARK: Adding a range's output

  package func begin(_ input: InputPartition, range: Range<Int64>) {
    abort()
    self.input = input
    self.range = range
    markPrefix = PipeMark.prefix(group: group, input: input, range: range)
    for partition in shares.indices { shares[partition].present = 0 }
    if let stored = found[input]?[range.lowerBound], stored.end == range.upperBound {
      for (partition, count) in stored.present where partition >= 0 && partition < shares.count { shares[partition].present = count }
      found[input]?[range.lowerBound] = nil
    }
  }

  @inline(__always)
  package func add(
    key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer, timestamp: Int64,
    partition: Int
  ) {
    precondition(partition >= 0 && partition < shares.count)  // PipeOutputParser checks it
    let share = shares.baseAddress.unsafelyUnwrapped + partition
    let index = share.pointee.added
    share.pointee.added = index + 1
    if index < share.pointee.present { return }  // stored before the crash
    let unretained = share.pointee.encoder ?? Unmanaged.passUnretained(makeEncoder(partition))
    unretained._withUnsafeGuaranteedRef { encoder in
      if encoder.opensBatch(keyCount: key?.count ?? -1, valueCount: value?.count ?? -1, headersCount: headers.count) {
        addOpening(to: encoder, key: key, value: value, headers: headers, timestamp: timestamp, index: index)
      } else {
        encoder.append(key: key, value: value, headers: headers, timestamp: timestamp)
      }
    }
  }

  /// `add` for a run of lines, with `BatchEncoder.appendLines` between the records that open
  /// a batch. Records `resume` found stored are left to `add`, which skips them.
  package func addLines(
    _ base: UnsafeRawPointer, from start: Int, count: Int, delimiter: Int32, headers: UnsafeRawBufferPointer,
    timestamp: Int64, largestValue: Int, partition: Int
  ) -> BatchEncoder.AppendedLines {
    precondition(partition >= 0 && partition < shares.count)  // PipeOutputParser checks it
    let share = shares.baseAddress.unsafelyUnwrapped + partition
    var total = BatchEncoder.AppendedLines(end: start, records: 0, bytes: 0)
    guard share.pointee.added >= share.pointee.present else { return total }
    let unretained = share.pointee.encoder ?? Unmanaged.passUnretained(makeEncoder(partition))
    unretained._withUnsafeGuaranteedRef { encoder in
      while true {
        let run = encoder.appendLines(
          base, from: total.end, count: count, delimiter: delimiter, headers: headers, timestamp: timestamp,
          largestValue: largestValue, stopsBeforeBatch: true)
        total.end = run.end
        total.records += run.records
        total.bytes += run.bytes
        share.pointee.added += run.records
        // Stopped at a line that opens a batch (not at one too long, nor at the input's end):
        // it carries the mark.
        guard run.end < count, let found = memchr(base + run.end, delimiter, count - run.end) else { return }
        let length = UnsafeRawPointer(found) - base - run.end
        guard length <= largestValue else { return }
        let before = encoder.buffer.count
        addOpening(
          to: encoder, key: nil, value: UnsafeRawBufferPointer(start: base + run.end, count: length), headers: headers,
          timestamp: timestamp, index: share.pointee.added)
        share.pointee.added += 1
        total.end = run.end + length + 1
        total.records += 1
        total.bytes += encoder.buffer.count - before
      }
    }
    return total
  }

  /// Adds the range's `index`-th record for a partition as the first of a new batch: it
  /// carries the mark after its own headers.
  private func addOpening(
    to encoder: BatchEncoder, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: UnsafeRawBufferPointer,
    timestamp: Int64, index: Int
  ) {
    encoder.sealBatch()
    writeFirstHeaders(headers, index: index)
    encoder.append(key: key, value: value, headers: firstHeaders.bytes, timestamp: timestamp)
  }

  /// `headers` with one more header, the mark of the range's `index`-th record.
  private func writeFirstHeaders(_ headers: UnsafeRawBufferPointer, index: Int) {
    firstHeaders.count = 0
    var position = 0
    var count: Int64 = 0
    if let base = headers.baseAddress, let read = VarInt.read(base, at: &position, end: headers.count), read >= 0 {
      count = read
    } else {
      position = headers.count
    }
    let digits = Array(String(index).utf8)
    firstHeaders.reserve(40 + headers.count + markPrefix.count)
    firstHeaders.count += VarInt.write(count + 1, to: firstHeaders.base + firstHeaders.count)
    if let base = headers.baseAddress, position < headers.count { firstHeaders.append(base + position, count: headers.count - position) }
    firstHeaders.count += VarInt.write(Int64(PipeMark.headerName.count), to: firstHeaders.base + firstHeaders.count)
    firstHeaders.append(PipeMark.headerName)
    firstHeaders.count += VarInt.write(Int64(markPrefix.count + digits.count), to: firstHeaders.base + firstHeaders.count)
    firstHeaders.append(markPrefix)
    firstHeaders.append(digits)
  }

  /// The most bytes the mark adds to a record: 1 for the header count, the name, the value.
  package var reservedHeaderBytes: Int { 1 + 1 + PipeMark.headerName.count + 2 + 1100 }

  package func reserve(bytes: Int, partition: Int) {
    guard partition >= 0 && partition < shares.count, encoders[partition] == nil else { return }
    _ = makeEncoder(partition, capacity: bytes)
  }

  /// `reserve`, and the other set's encoder beside it as large: their memory, as much as a
  /// range of about `bytes` fills, is returned for kq pipe to fault in while it reads its first
  /// batch, instead of the kernel zeroing it on the main thread as the first range is encoded
  /// (and on the append's thread during the second).
  package func prepare(bytes: Int, partition: Int) -> [UnsafeMutableRawBufferPointer] {
    guard partition >= 0 && partition < shares.count, encoders[partition] == nil, appendingEncoders[partition] == nil
    else { return [] }
    let encoder = makeEncoder(partition, capacity: bytes)
    let other = BatchEncoder(maxBatchBytes: batchLimit, capacity: encoder.buffer.capacity, excludedFromForks: true)
    other.logAppendTime = encoder.logAppendTime
    other.codec = encoder.codec
    appendingEncoders[partition] = other
    // A range of `bytes` less the 1/8 asked beyond it (its records' lengths add about 8% to
    // 100-byte lines).
    let used = min(encoder.buffer.capacity, bytes - bytes / 9)
    return [encoder.buffer, other.buffer].map { UnsafeMutableRawBufferPointer(start: $0.base, count: used) }
  }

  private func makeEncoder(_ partition: Int, capacity asked: Int = 0) -> BatchEncoder {
    // Kept out of the children kq forks to run the command (see ByteBuffer). As large as the
    // other set's encoder has grown, so that it does not grow (and copy itself) again: its
    // pages are only resident once touched.
    let capacity = max(1 << 16, asked, appendingEncoders[partition]?.buffer.capacity ?? 0)
    let encoder = BatchEncoder(maxBatchBytes: batchLimit, capacity: capacity, excludedFromForks: true)
    // The topic's compression.type, as produce and mirror store it (kq pipe asks for none).
    encoder.codec = config.compressionType.storedCodec(requested: .none)
    if config.timestampType == .logAppendTime {
      let clock = directory.clock
      encoder.logAppendTime = { clock.nowMillis() }
    }
    encoders[partition] = encoder
    shares[partition].encoder = Unmanaged.passUnretained(encoder)
    return encoder
  }

  package func abort() {
    for encoder in encoders { encoder?.reset() }
    for partition in shares.indices { shares[partition].added = 0 }
    input = nil
  }

  /// Hands the range's output to a `RangeAppend`, which appends it on a thread while the next
  /// range is encoded into the other set of encoders; the append before it is waited for
  /// first (ranges reach the log in order) and its failure thrown here, else by `commit`.
  package func end() throws(StorageError) {
    guard let input else { return }
    let hasOutput = shares.contains { $0.added > 0 }
    if hasOutput && emptySinceCommit.contains(input) { try commit() }
    try finishAppending()
    var parts: [RangeAppend.Part] = []
    for partition in encoders.indices {
      guard let encoder = encoders[partition], !encoder.isEmpty else { continue }
      let bytes = UnsafeMutableRawBufferPointer(mutating: encoder.finish())
      parts.append(RangeAppend.Part(partition: partition, writer: try writer(for: partition), bytes: bytes))
      unsynced.insert(partition)
    }
    if !parts.isEmpty {
      swap(&encoders, &appendingEncoders)
      // The next range's encoders, for the partitions this one wrote, made now so that the
      // append's thread faults in as much of them as this range filled.
      var prefaults: [UnsafeMutableRawBufferPointer] = []
      for part in parts {
        let next = encoders[part.partition] ?? makeEncoder(part.partition)
        let buffer = next.buffer
        prefaults.append(UnsafeMutableRawBufferPointer(start: buffer.base, count: min(buffer.capacity, part.bytes.count)))
      }
      for partition in shares.indices { shares[partition].encoder = encoders[partition].map(Unmanaged.passUnretained) }
      appending = RangeAppend.start(parts, prefaulting: prefaults)
    }
    ended[input] = range.upperBound
    if !hasOutput { emptySinceCommit.insert(input) }
    for partition in shares.indices { shares[partition].added = 0 }
    self.input = nil
  }

  /// Waits for the last range's append, if one runs; throws its failure, and from then on
  /// throws it again at every call: a range ended before it may not be committed any more
  /// (its output may be missing), and the next run processes it again.
  func finishAppending() throws(StorageError) {
    if let appendFailure { throw appendFailure }
    guard let append = appending else { return }
    appending = nil
    let (ends, failure) = append.finish()
    for encoder in appendingEncoders { encoder?.reset() }
    for (partition, end) in ends { knownEnds[partition] = max(knownEnds[partition] ?? 0, end) }
    appendFailure = failure
    if let failure { throw failure }
  }

  private func writer(for partition: Int) throws(StorageError) -> PartitionLog {
    if let writer = writers[partition] { return writer }
    let writer = try PartitionLog(
      folder: directory.partitionFolder(topic, partition), config: config, fileSystem: directory.fileSystem,
      clock: directory.clock)
    // Every append is synced at the range's commit: its writeback starts at once.
    writer.expectDurability()
    writers[partition] = writer
    return writer
  }

  // MARK: Committing

  /// The output first (fdatasync of every partition written), then each input partition's
  /// offset, then its checkpoint: a crash in between leaves output that `resume` finds.
  package func commit() throws(StorageError) {
    try finishAppending()
    guard !ended.isEmpty else { return }
    for partition in unsynced.sorted() { try writers[partition]?.sync() }
    unsynced = []
    let checkpoint = PipeCheckpoint(output: topic, offsets: knownEnds)
    for (input, offset) in ended.sorted(by: { $0.key < $1.key }) {
      try confirmsInput?(input)
      try directory.commit(group: group, topic: input.topic, partition: input.partition, offset: offset)
      try directory.writePipeCheckpoint(checkpoint, group: group, input: input)
      ended[input] = nil
      emptySinceCommit.remove(input)
    }
  }
}
