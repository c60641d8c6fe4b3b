import KQLog
import KQStorage

/// A small log of three segments whose sealed segments' `.index` and `.timeindex` files are
/// replaced by the input's bytes. Indexes are derived data, never trusted over the log: every
/// lookup finds the batch holding the offset asked for (or the offset the reference answers for
/// a timestamp), or throws naming the damage; it never answers wrong.
final class IndexTarget {
  nonisolated(unsafe) static let shared = IndexTarget()

  static let recordCount = 400
  static let recordsPerBatch = 10
  var folder = ""
  var fileSystem = FileSystem()
  var sealed: [Int64] = []
  var pristine: [Int64: (index: [UInt8], timeIndex: [UInt8])] = [:]
  var batchBase: [Int64] = []
  var timestampAnswers: [(timestamp: Int64, offset: Int64?)] = []

  func prepare() {
    let root = Scratch.root + "/index"
    Scratch.removeTree(root)
    (pristine, batchBase, timestampAnswers) = ([:], [], [])
    do {
      let directory = try DataDirectory.open(at: root, create: true, fileSystem: fileSystem, clock: FixedClock())
      let topic = try TopicName("t")
      var config = TopicConfig()
      config.segmentBytes = 16384
      config.retentionMillis = -1
      try directory.createTopic(topic, config: config)
      folder = directory.partitionFolder(topic, 0)
      let writer = try PartitionLog(folder: folder, config: config, fileSystem: fileSystem, clock: FixedClock())
      for batch in 0..<Self.recordCount / Self.recordsPerBatch {
        // Timestamps rise by 10 ms a record, but each batch's last record is 25 ms early.
        let records = (0..<Self.recordsPerBatch).map { index in
          let number = batch * Self.recordsPerBatch + index
          let late: Int64 = index == Self.recordsPerBatch - 1 ? -25 : 0
          return Record(
            key: Array("k\(number % 7)".utf8), value: Array("value \(number) ".utf8) + [UInt8](repeating: 120, count: 100),
            timestamp: 1_000_000 + Int64(number) * 10 + late)
        }
        _ = try writer.append(BatchEncoder.encode(records))
      }
      writer.close()
      let bases = try SegmentFiles.bases(in: folder, fileSystem: fileSystem)
      sealed = Array(bases.dropLast())
      guard sealed.count >= 2 else { Scratch.unusable("only \(bases.count) segments: \(InputFiles.list(folder))") }
      for base in sealed {
        pristine[base] = (
          Scratch.read(FileNames.offsetIndexFile(in: folder, base: base)),
          Scratch.read(FileNames.timeIndexFile(in: folder, base: base))
        )
      }
      let reader = PartitionReader(folder: folder, fileSystem: fileSystem)
      try reader.seek(to: 0)
      while let batch = try reader.nextBatch() {
        for _ in 0..<batch.recordCount { batchBase.append(batch.baseOffset) }
      }
      guard batchBase.count == Self.recordCount else { Scratch.unusable("read \(batchBase.count) records") }
      for timestamp in [0, 1_000_000, 1_000_095, 1_000_990, 1_001_005, 1_002_000, 1_003_333, 1_003_990, 1_004_000] as [Int64] {
        timestampAnswers.append((timestamp, try IndexLookup.offset(forTimestamp: timestamp, folder: folder, fileSystem: fileSystem)))
      }
    } catch {
      Scratch.unusable("\(error)")
    }
  }

  /// Byte 0 picks the sealed segment, byte 1 how many of the rest go to `.index` (the others
  /// to `.timeindex`), and the last bytes pick offsets to look up.
  func run(_ input: UnsafeRawBufferPointer) {
    guard input.count >= 2 else { return }
    let base = sealed[Int(input[0]) % sealed.count]
    let body = UnsafeRawBufferPointer(rebasing: input.dropFirst(2))
    let split = min(Int(input[1]), body.count)
    let indexPath = FileNames.offsetIndexFile(in: folder, base: base)
    let timeIndexPath = FileNames.timeIndexFile(in: folder, base: base)
    Scratch.write(UnsafeRawBufferPointer(rebasing: body.prefix(split)), to: indexPath)
    Scratch.write(UnsafeRawBufferPointer(rebasing: body.dropFirst(split)), to: timeIndexPath)
    defer {
      if let original = pristine[base] {
        Scratch.write(original.index, to: indexPath)
        Scratch.write(original.timeIndex, to: timeIndexPath)
      }
    }
    var offsets: [Int64] = [base, base + 1, base + 9, base + 10, base + 95]
    for byte in input.suffix(4) { offsets.append(base + Int64(byte)) }
    let reader = PartitionReader(folder: folder, fileSystem: fileSystem)
    for offset in offsets where offset < Int64(Self.recordCount) {
      do {
        try reader.seek(to: offset)
        guard let batch = try reader.nextBatch() else { wrongAnswer("seek to \(offset): no batch") }
        let expected = batchBase[Int(offset)]
        if batch.baseOffset != expected {
          wrongAnswer("seek to \(offset) in segment \(base): batch \(batch.baseOffset), not \(expected)")
        }
      } catch {}
    }
    for (timestamp, answer) in timestampAnswers {
      guard let found = try? IndexLookup.offset(forTimestamp: timestamp, folder: folder, fileSystem: fileSystem) else {
        continue
      }
      if found != answer { wrongAnswer("timestamp \(timestamp): offset \(String(describing: found)), not \(String(describing: answer))") }
    }
  }
}
