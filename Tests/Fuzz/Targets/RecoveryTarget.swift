import KQLog
import KQStorage

/// A partition whose only, active segment holds the input's bytes, as a crash or a disk might
/// leave it. A writer opens it (recovery: a torn tail is cut, damage refused) and appends one
/// record; a reader reads the whole partition, then the appended record at the offset the
/// append gave it. Errors are answers; a crash, a hang or a wrong record is a finding.
final class RecoveryTarget {
  nonisolated(unsafe) static let shared = RecoveryTarget()

  var folder = ""
  let fileSystem = FileSystem()
  let config = TopicConfig()
  var appended: [UInt8] = []
  let marker = Array("appended after recovery".utf8)

  func prepare() {
    let root = Scratch.root + "/recovery"
    Scratch.removeTree(root)
    do {
      let directory = try DataDirectory.open(at: root, create: true, fileSystem: fileSystem, clock: FixedClock())
      let topic = try TopicName("t")
      try directory.createTopic(topic, config: config)
      folder = directory.partitionFolder(topic, 0)
    } catch {
      Scratch.unusable("\(error)")
    }
    appended = BatchEncoder.encode([Record(key: nil, value: marker, timestamp: 1_700_000_000_000)])
  }

  func run(_ input: UnsafeRawBufferPointer) {
    Scratch.removeContents(of: folder)
    Scratch.write(input, to: FileNames.logFile(in: folder, base: 0))
    var first: Int64?
    do {
      let writer = try PartitionLog(folder: folder, config: config, fileSystem: fileSystem, clock: FixedClock())
      defer { writer.close() }
      first = try writer.append(appended)
    } catch {}
    let reader = PartitionReader(folder: folder, fileSystem: fileSystem)
    do {
      try reader.seek(to: 0)
      while let batch = try reader.nextBatch() { _ = try batch.records() }
    } catch {}
    guard let first else { return }
    do {
      try reader.seek(to: first)
      guard let batch = try reader.nextBatch() else { wrongAnswer("the record appended at \(first) is not there") }
      let records = try batch.records()
      guard batch.baseOffset == first, records.count == 1, records[0].record.value == marker else {
        wrongAnswer("at \(first): batch \(batch.baseOffset) of \(records.count) records, not the one appended")
      }
    } catch {
      wrongAnswer("the record appended at \(first) cannot be read: \(error)")
    }
  }
}
