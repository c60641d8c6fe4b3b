import Foundation
import KQCommands
import KQStorage
import KQLog

/// The corruption search of issue 10: a small reference data directory, and every truncation
/// length and one bit flip at every byte of each of its files (segments, indexes, config,
/// kq.lock, committed offsets), or random ones. Each case is numbered within a seeded plan, so
/// a failure names the seed and case that replay it (`KQ_SEARCH_SEED`, `KQ_SEARCH_CASE`).
package final class CorruptionSearch {
  package struct Case: CustomStringConvertible, Sendable {
    package enum Damage: Sendable { case truncate(to: Int), flip(byte: Int, bit: Int) }
    package var number: Int
    package var file: String
    package var damage: Damage
    package var description: String {
      switch damage {
      case .truncate(let length): "case \(number): truncate \(file) to \(length) bytes"
      case .flip(let byte, let bit): "case \(number): flip bit \(bit) of byte \(byte) of \(file)"
      }
    }
  }

  /// What a reader sees: each partition's records (offset, key, value, timestamp) up to the
  /// first error, whether one came, and the group's committed offsets.
  package struct Observation: Equatable {
    package var partitions: [[String]] = []
    package var failed: [Bool] = []
    package var passedOver: [Bool] = []
    package var committed: [Int: Int64]?
    package var partitionCount: Int?
  }

  package let directory: TemporaryDirectory
  package var root: String { directory.at("data") }
  package let topic = "t"
  package let group = "g"
  /// Relative path → bytes, for every file a case may damage.
  package private(set) var files: [(path: String, bytes: [UInt8])] = []
  package private(set) var reference = Observation()
  /// Each partition's reference records as a set, for the check that a reader returned only
  /// records that were written.
  package private(set) var referenceRecords: [Set<String>] = []
  let clock = ManualClock(1_700_000_000_000)

  /// `records` lines spread over 2 partitions, segments of 1 KiB, a group commit.
  package init(records: Int, valueSize: Int = 12, segmentBytes: Int = 1024) throws {
    directory = try TemporaryDirectory("kq-corrupt", inMemory: true)
    try kq(["topic", "create", topic, "--partitions", "2", "--config", "segment.bytes=\(segmentBytes)"])
    var input = ""
    for index in 0..<records {
      input += "k\(index % 5):" + String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: valueSize)
        + "\(index)\n"
      if index % 40 == 39 {
        clock.advance(by: 1000)
        try kq(["produce", topic, "-K", ":"], stdin: input)
        input = ""
      }
    }
    if !input.isEmpty { try kq(["produce", topic, "-K", ":"], stdin: input) }
    let service = try self.service()
    for partition in 0..<2 {
      let end = try service.openReader(try TopicName(topic), partition: partition).bounds().end
      try service.commit(group: try GroupName(group), topic: try TopicName(topic), partition: partition, offset: end / 2)
    }
    for path in try Self.regularFiles(under: root) where Self.isSearched(path) {
      files.append((path, try Self.read(root + "/" + path)))
    }
    reference = try observe()
    referenceRecords = reference.partitions.map { Set($0) }
  }

  /// Segments, indexes, config, kq.lock, offsets; not the format marker, lease or lock files.
  static func isSearched(_ path: String) -> Bool {
    path.hasSuffix(".log") || path.hasSuffix(".index") || path.hasSuffix(".timeindex") || path.hasSuffix("/config")
      || path.hasSuffix("kq.lock") || path.hasSuffix(".offset")
  }

  package func service() throws -> LocalLogService {
    LocalLogService(directory: try DataDirectory.open(at: root, create: false, clock: clock))
  }

  @discardableResult
  package func kq(_ arguments: [String], stdin: String = "") throws -> (status: KQCommands.ExitStatus, output: String, errors: String) {
    let out = MemorySink()
    let err = MemorySink()
    let context = Context(
      environment: ["KQ_DIR": root], stdin: MemorySource(Array(stdin.utf8)), stdout: out, stderr: err, clock: clock)
    let status = KQ.run(arguments: ["kq"] + arguments, context: context)
    return (status, String(decoding: out.bytes, as: UTF8.self), String(decoding: err.bytes, as: UTF8.self))
  }

  /// Every case of the exhaustive plan: each truncation length, and a flip of one bit (chosen
  /// by `seed`) of each byte, of each file.
  /// `bitsPerByte` above 1 flips that many different bits of each byte, one case each (8: all).
  package func exhaustivePlan(seed: UInt64, bitsPerByte: Int = 1) -> [Case] {
    var generator = SeededGenerator(seed: seed)
    var cases: [Case] = []
    for file in files {
      for length in 0..<file.bytes.count {
        cases.append(Case(number: cases.count, file: file.path, damage: .truncate(to: length)))
      }
      for byte in 0..<file.bytes.count {
        let first = Int(generator.next() % 8)
        for step in 0..<min(max(bitsPerByte, 1), 8) {
          cases.append(Case(number: cases.count, file: file.path, damage: .flip(byte: byte, bit: (first + step) % 8)))
        }
      }
    }
    return cases
  }

  /// `count` random cases, flips and truncations, weighted by file size.
  package func randomPlan(seed: UInt64, count: Int) -> [Case] {
    var generator = SeededGenerator(seed: seed)
    let total = files.reduce(0) { $0 + $1.bytes.count }
    return (0..<count).map { number in
      var pick = Int(generator.next() % UInt64(max(total, 1)))
      var chosen = files[0]
      for file in files {
        if pick < file.bytes.count {
          chosen = file
          break
        }
        pick -= file.bytes.count
      }
      let damage: Case.Damage =
        generator.next() % 4 == 0
        ? .truncate(to: pick) : .flip(byte: pick, bit: Int(generator.next() % 8))
      return Case(number: number, file: chosen.path, damage: damage)
    }
  }

  package func apply(_ damage: Case) throws {
    let path = root + "/" + damage.file
    guard var bytes = files.first(where: { $0.path == damage.file })?.bytes else { return }
    switch damage.damage {
    case .truncate(let length): bytes = Array(bytes.prefix(length))
    case .flip(let byte, let bit): if byte < bytes.count { bytes[byte] ^= UInt8(1 << bit) }
    }
    try Self.write(bytes, to: path)
  }

  /// Puts the one damaged file back.
  package func undo(_ damage: Case) throws {
    guard let original = files.first(where: { $0.path == damage.file }) else { return }
    try Self.write(original.bytes, to: root + "/" + damage.file)
  }

  /// Puts the whole directory back as it was (after a repair or a write).
  package func restoreAll() throws {
    try FileManager.default.removeItem(atPath: root)
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    try Self.write(Array("kq data directory format 1\n".utf8), to: root + "/kq-format")
    for file in files {
      let path = root + "/" + file.path
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Self.write(file.bytes, to: path)
    }
  }

  /// The partition a file belongs to, nil for the topic's or group's files.
  package static func partition(of file: String) -> Int? {
    guard file.hasPrefix("t-"), let slash = file.firstIndex(of: "/") else { return nil }
    return Int(file[file.index(file.startIndex, offsetBy: 2)..<slash])
  }

  /// What readers see; with `only`, the other partition is taken from the reference (its
  /// files are untouched).
  package func observe(only: Int? = nil) throws -> Observation {
    var observation = Observation()
    let service = try self.service()
    let name = try TopicName(topic)
    observation.partitionCount = try? service.config(of: name).partitions
    observation.committed = try? service.committedOffsets(group: try GroupName(group), topic: name)
    for partition in 0..<2 {
      if let only, only != partition, partition < reference.partitions.count {
        observation.partitions.append(reference.partitions[partition])
        observation.failed.append(reference.failed[partition])
        observation.passedOver.append(reference.passedOver[partition])
        continue
      }
      var lines: [String] = []
      var failed = false
      var passedOver = false
      do {
        let reader = try service.openReader(name, partition: partition)
        try reader.seek(to: 0)
        while let batch = try reader.nextBatch() {
          try batch.forEachRecord { record in
            let key = record.key.map { String(decoding: $0, as: UTF8.self) } ?? "-"
            let value = record.value.map { String(decoding: $0, as: UTF8.self) } ?? "-"
            lines.append("\(record.offset) \(record.timestamp) \(key) \(value)")
            return true
          }
          if reader.hasLostOffsets { passedOver = true }
        }
        if reader.hasLostOffsets { passedOver = true }
      } catch { failed = true }
      observation.partitions.append(lines)
      observation.failed.append(failed)
      observation.passedOver.append(passedOver)
    }
    return observation
  }

  static func regularFiles(under root: String) throws -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
    var paths: [String] = []
    while let next = walker.nextObject() as? String {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: root + "/" + next, isDirectory: &isFolder), !isFolder.boolValue {
        paths.append(next)
      }
    }
    return paths.sorted()
  }

  static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

  static func write(_ bytes: [UInt8], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw KQFailure("cannot open \(path)") }
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
      let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      guard n > 0 else { throw KQFailure("cannot write \(path)") }
      written += n
    }
  }
}
