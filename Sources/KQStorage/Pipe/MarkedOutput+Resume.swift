import KQLog
/// Recovery: where each input partition goes on, from the committed offsets and the marks in
/// the output's tail (FORMAT.md, "Pipes").
extension MarkedOutput {
  package func resume(_ inputs: [InputPartition], start: (InputPartition) throws -> Int64) throws
    -> [InputPartition: InputResume]
  {
    try finishAppending()  // the tail read below is the whole output
    var committed: [InputPartition: Int64] = [:]
    var offsetsByTopic: [TopicName: [Int: Int64]] = [:]
    for input in inputs {
      if offsetsByTopic[input.topic] == nil {
        offsetsByTopic[input.topic] = try directory.committedOffsets(group: group, topic: input.topic)
      }
      committed[input] = offsetsByTopic[input.topic]?[input.partition]
    }
    // Each output partition is read once, from the lowest checkpoint among the committed
    // inputs; from its start when one of them has none (or one for another output topic).
    var readFrom: [Int: Int64] = [:]
    var readWhole: Set<Int> = []
    let committedInputs = inputs.filter { committed[$0] != nil }
    for input in committedInputs {
      let checkpoint = directory.pipeCheckpoint(group: group, input: input)
      for partition in 0..<config.partitions {
        if let checkpoint, checkpoint.output == topic, let offset = checkpoint.offsets[partition] {
          readFrom[partition] = min(readFrom[partition] ?? offset, offset)
        } else {
          readWhole.insert(partition)
        }
      }
    }
    for partition in 0..<config.partitions {
      let reader = PartitionReader(folder: directory.partitionFolder(topic, partition), fileSystem: directory.fileSystem)
      let (logStart, logEnd) = try reader.bounds()
      guard !committedInputs.isEmpty else {
        knownEnds[partition] = logEnd
        continue
      }
      var from = readWhole.contains(partition) ? logStart : readFrom[partition] ?? logStart
      // Past the end: the topic was deleted and made again since; below the start: retention.
      if from > logEnd || from < logStart { from = logStart }
      try reader.seek(to: from)
      while let batch = try reader.nextBatch() {
        try note(batch, partition: partition, committed: committed, folder: reader.folder)
      }
      _ = reader.takeOffsetsLostToRetention()
      knownEnds[partition] = max(from, reader.position)
    }
    var resumes: [InputPartition: InputResume] = [:]
    for input in inputs {
      guard let offset = committed[input] else {
        // Never committed: nothing of it was written (a run commits its start first), and
        // the checkpoint goes first, so that a commit always has one.
        let first = try start(input)
        try directory.writePipeCheckpoint(PipeCheckpoint(output: topic, offsets: knownEnds), group: group, input: input)
        try directory.commit(group: group, topic: input.topic, partition: input.partition, offset: first)
        resumes[input] = InputResume(offset: first, replays: [])
        continue
      }
      var cursor = offset
      var replays: [Range<Int64>] = []
      for (from, stored) in (found[input] ?? [:]).sorted(by: { $0.key < $1.key }) where from >= cursor {
        // Offsets without a mark before a range that has one: output lost with a power
        // failure (a range without output is committed before a later range writes).
        if from > cursor { replays.append(cursor..<from) }
        replays.append(from..<stored.end)
        cursor = stored.end
      }
      resumes[input] = InputResume(offset: cursor, replays: replays)
    }
    return resumes
  }

  /// Records the mark of a batch, if it has one of this group for a range not committed.
  private func note(_ batch: RecordBatchView, partition: Int, committed: [InputPartition: Int64], folder: String)
    throws(StorageError)
  {
    guard batch.recordCount > 0 else { return }
    var mark: PipeMark?
    do {
      try batch.forEachRecord { record in
        try record.forEachHeader { key, value in
          // The last mark counts: kq puts its own after the record's headers.
          if let value, key.elementsEqual(PipeMark.headerName), let parsed = PipeMark(parsing: value) { mark = parsed }
        }
        return false
      }
    } catch {
      throw .corruptFile(file: folder, reason: "the record batch at offset \(batch.baseOffset) does not decode: \(error)")
    }
    guard let mark, mark.group == group.value, let topic = try? TopicName(mark.input) else { return }
    let input = InputPartition(topic: topic, partition: mark.partition)
    guard let offset = committed[input], mark.range.lowerBound >= offset else { return }
    var stored = found[input]?[mark.range.lowerBound] ?? (end: mark.range.upperBound, present: [:])
    guard stored.end == mark.range.upperBound else { return }  // another run's mark, left before a reset
    let (count, overflow) = mark.index.addingReportingOverflow(Int(batch.recordCount))
    guard !overflow else { return }
    stored.present[partition] = max(stored.present[partition] ?? 0, count)
    found[input, default: [:]][mark.range.lowerBound] = stored
  }
}
