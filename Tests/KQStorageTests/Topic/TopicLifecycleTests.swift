import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// Issue 9, item 7: creating, altering and deleting topics while others append. Creation is
/// atomic and idempotent; a writer of a deleted topic fails instead of appending where nobody
/// will read; a folder that may hold a live topic's records is never removed.
@Suite("topic lifecycle")
struct TopicLifecycleTests {
  static func records(_ values: [String]) -> [Record] {
    values.map { Record(value: Array($0.utf8), timestamp: 1_700_000_000_000) }
  }

  @Test("a writer of a deleted topic fails at its next append, sync or confirmation, even once the topic is created again")
  func writerOfDeletedTopicFails() throws {
    let fixture = try PartitionFixture()
    let writer = try fixture.writer()
    try Batches.append([Self.records(["a"])], to: writer)
    try fixture.data.deleteTopic(fixture.topic)
    #expect(throws: StorageError.topicDeleted("events")) { try Batches.append([Self.records(["b"])], to: writer) }
    #expect(throws: StorageError.topicDeleted("events")) { try writer.sync() }
    #expect(throws: StorageError.topicDeleted("events")) { try writer.confirmAppended() }
    try fixture.data.createTopic(fixture.topic, config: fixture.config)
    #expect(throws: StorageError.topicDeleted("events")) { try Batches.append([Self.records(["c"])], to: writer) }
    #expect(try fixture.readAll().isEmpty)
    let fresh = try fixture.writer()
    #expect(try Batches.append([Self.records(["d"])], to: fresh) == .init(firstOffset: 0, recordCount: 1))
    #expect(try fixture.readAll().map(\.record.value) == [Array("d".utf8)])
  }

  @Test("a writer opened after the topic's configuration was read and its folder removed fails as deleted")
  func writerOfVanishedFolder() throws {
    let fixture = try PartitionFixture()
    let config = try fixture.data.config(of: fixture.topic)
    try fixture.data.deleteTopic(fixture.topic)
    #expect(throws: StorageError.topicDeleted("events")) {
      try PartitionLog(folder: fixture.folder(), config: config, fileSystem: FileSystem(), clock: fixture.clock)
    }
  }

  @Test("a reader of a deleted topic fails as deleted at the end of what it holds, even once the topic is created again")
  func readerOfDeletedTopicFails() throws {
    let fixture = try PartitionFixture()
    try Batches.append([Self.records(["a", "b"])], to: try fixture.writer())
    let reader = PartitionReader(folder: fixture.folder(), fileSystem: FileSystem())
    try reader.seek(to: 0)
    try fixture.data.deleteTopic(fixture.topic)
    try fixture.data.createTopic(fixture.topic, config: fixture.config)
    try Batches.append([Self.records(["new"])], to: try fixture.writer())
    #expect(try reader.nextBatch()?.records().map(\.offset) == [0, 1])  // what its open file holds
    #expect(throws: StorageError.topicDeleted("events")) { try reader.nextBatch() }
    #expect(throws: StorageError.topicDeleted("events")) { try reader.confirmTopicExists() }
    let empty = try PartitionFixture(topic: "quiet")
    let idle = PartitionReader(folder: empty.folder(), fileSystem: FileSystem())
    try idle.seek(to: 0)
    #expect(try idle.nextBatch() == nil)
    try empty.data.deleteTopic(empty.topic)
    #expect(throws: StorageError.topicDeleted("quiet")) { try idle.nextBatch() }
  }

  @Test("a partition folder left by an interrupted deletion is retired on creation: its records never reappear")
  func leftoverFolderIsRetired() throws {
    let fixture = try PartitionFixture()
    try Batches.append([Self.records(["old"])], to: try fixture.writer())
    try FileManager.default.removeItem(atPath: fixture.data.names.topicConfig(fixture.topic))  // the deletion's first step
    try fixture.data.createTopic(fixture.topic, config: fixture.config)
    #expect(try fixture.readAll().isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.data.names.deletedFolder).isEmpty)
  }

  /// A deletion killed after its first step (the configuration unlinked), with the groups'
  /// offsets and partition folders, some past the count, still there.
  static func interruptedDeletion(partitions: Int = 3) throws -> (PartitionFixture, GroupName) {
    var config = TopicConfig()
    config.partitions = partitions
    let fixture = try PartitionFixture(config: config)
    let group = try GroupName("g")
    for partition in 0..<partitions {
      try Batches.append([Self.records(["old"])], to: try fixture.writer(partition: partition))
      try fixture.data.commit(group: group, topic: fixture.topic, partition: partition, offset: 1)
    }
    try FileManager.default.createDirectory(atPath: fixture.data.partitionFolder(fixture.topic, 7), withIntermediateDirectories: false)
    try FileManager.default.removeItem(atPath: fixture.data.names.topicConfig(fixture.topic))
    return (fixture, group)
  }

  static func leftoverFolders(_ fixture: PartitionFixture) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: fixture.data.path).filter { $0.hasPrefix("events-") }.sorted()
  }

  @Test("a topic created where a deletion was interrupted starts clean: no old folders, no groups' offsets that skip its records")
  func creationAfterInterruptedDeletion() throws {
    let (fixture, group) = try Self.interruptedDeletion()
    var config = TopicConfig()
    config.partitions = 2
    try fixture.data.createTopic(fixture.topic, config: config)
    #expect(try fixture.data.committedOffsets(group: group, topic: fixture.topic) == [:])
    #expect(try Self.leftoverFolders(fixture) == ["events-0", "events-1"])
    #expect(try fixture.readAll().isEmpty)
  }

  @Test("deleting a name whose deletion was interrupted finishes it; with nothing left, the name does not exist")
  func deletionFinishesInterruptedOne() throws {
    let (fixture, group) = try Self.interruptedDeletion()
    try fixture.data.deleteTopic(fixture.topic)
    #expect(try Self.leftoverFolders(fixture).isEmpty)
    #expect(!FileManager.default.fileExists(atPath: fixture.data.names.groupTopicFolder(group, fixture.topic)))
    #expect(!FileManager.default.fileExists(atPath: fixture.data.names.topicFolder(fixture.topic)))
    #expect(throws: StorageError.topicNotFound("events")) { try fixture.data.deleteTopic(fixture.topic) }
  }

  @Test("verify reports what an interrupted deletion left, and --repair removes it; a live topic's folders stay")
  func verifyFindsLeftovers() throws {
    let (fixture, group) = try Self.interruptedDeletion()
    let other = try TopicName("events-1")  // its folders, events-1-N, are no leftovers of events
    try fixture.data.createTopic(other, config: TopicConfig())
    let otherWriter = try PartitionLog(
      folder: fixture.data.partitionFolder(other, 0), config: TopicConfig(), fileSystem: FileSystem(), clock: fixture.clock)
    try Batches.append([Self.records(["kept"])], to: otherWriter)
    let report = try fixture.data.verify(topics: nil, repair: false) { _ in }
    let leftovers = report.findings.filter { $0.kind == .leftover }.map { URL(fileURLWithPath: $0.file).lastPathComponent }
    #expect(leftovers.sorted() == ["events", "events", "events-0", "events-1", "events-2", "events-7"])
    #expect(report.problems.count == 6)
    let repaired = try fixture.data.verify(topics: nil, repair: true) { _ in }
    #expect(repaired.repairs.contains { $0.kind == .removedLeftovers })
    #expect(try Self.leftoverFolders(fixture) == ["events-1-0"])
    #expect(!FileManager.default.fileExists(atPath: fixture.data.names.groupTopicFolder(group, fixture.topic)))
    #expect(try fixture.data.verify(topics: nil, repair: false) { _ in }.problems.isEmpty)
  }

  @Test("verify of a data directory it may not write (read-only, another user's) shares the topics lock read-only and checks as usual")
  func verifyReadOnly() throws {
    let fixture = try PartitionFixture()
    try Batches.append([Self.records(["kept"])], to: try fixture.writer())
    let faults = FaultPlan()
    let data = try DataDirectory.open(at: fixture.data.path, create: false, fileSystem: faults.fileSystem)
    faults.arm(.open, pathSuffix: "topics.lock", .fail(Errno(EROFS)))
    let report = try data.verify(topics: nil, repair: false) { _ in }
    #expect(report.problems.isEmpty && report.partitionsChecked == 1)
    #expect(faults.fired == ["open \(fixture.data.path)/topics.lock"])
  }

  @Test("verify reports partition folders past a live topic's count (an interrupted alter), and --repair removes only those")
  func verifyFindsFoldersPastCount() throws {
    let fixture = try PartitionFixture()
    try Batches.append([Self.records(["kept"])], to: try fixture.writer())
    try FileManager.default.createDirectory(atPath: fixture.data.partitionFolder(fixture.topic, 1), withIntermediateDirectories: false)
    let report = try fixture.data.verify(topics: nil, repair: true) { _ in }
    #expect(report.problems.map(\.kind) == [.leftover])
    #expect(report.problems.first?.partition == 1)
    #expect(try Self.leftoverFolders(fixture) == ["events-0"])
    #expect(try fixture.readAll().map(\.record.value) == [Array("kept".utf8)])
  }

  @Test("a commit for a deleted topic is refused, so it cannot bring back the offsets the deletion removed")
  func commitAfterDeletion() throws {
    let fixture = try PartitionFixture()
    let group = try GroupName("g")
    try fixture.data.commit(group: group, topic: fixture.topic, partition: 0, offset: 1)
    try fixture.data.deleteTopic(fixture.topic)
    #expect(throws: StorageError.topicDeleted("events")) {
      try fixture.data.commit(group: group, topic: fixture.topic, partition: 0, offset: 2)
    }
    try fixture.data.createTopic(fixture.topic, config: fixture.config)
    #expect(try fixture.data.committedOffsets(group: group, topic: fixture.topic) == [:])
  }

  @Test("a consumer of a topic deleted and created again since it read cannot commit into the new one: the check and the commit are one step")
  func commitOfReaderAfterRecreation() throws {
    let fixture = try PartitionFixture()
    try Batches.append([Self.records(["old-1", "old-2"])], to: try fixture.writer())
    let service = LocalLogService(directory: fixture.data)
    let reader = try service.openReader(fixture.topic, partition: 0)
    try reader.seek(to: 0)
    let group = try GroupName("g")
    try service.commit(group: group, topic: fixture.topic, partition: 0, offset: 1, readBy: reader)
    try fixture.data.deleteTopic(fixture.topic)
    try fixture.data.createTopic(fixture.topic, config: fixture.config)
    #expect(throws: StorageError.topicDeleted("events")) {
      try service.commit(group: group, topic: fixture.topic, partition: 0, offset: 2, readBy: reader)
    }
    #expect(try fixture.data.committedOffsets(group: group, topic: fixture.topic) == [:])
  }

  @Test("a lease taken in a group's folder of the topic while it is deleted does not fail the deletion")
  func leaseDuringDeletion() throws {
    let fixture = try PartitionFixture()
    let faults = FaultPlan()
    let data = try DataDirectory.open(at: fixture.data.path, create: false, fileSystem: faults.fileSystem)
    try data.commit(group: try GroupName("g"), topic: fixture.topic, partition: 0, offset: 1)
    // As if a consumer's lease file appeared there between the listing and the rmdir.
    faults.arm(.removeDirectory, pathSuffix: "groups/g/events", .fail(.notEmpty))
    try data.deleteTopic(fixture.topic)
    #expect(throws: StorageError.topicNotFound("events")) { try data.config(of: fixture.topic) }
    #expect(try data.committedOffsets(group: try GroupName("g"), topic: fixture.topic) == [:])
  }

  @Test("threads creating the same topic and data directory at once: one creates it, the others find it, records all kept")
  func concurrentCreation() throws {
    let directory = try TemporaryDirectory()
    let path = directory.at("new/data")
    let topic = try TopicName("t")
    let outcomes = Outcomes()
    DispatchQueue.concurrentPerform(iterations: 8) { index in
      do {
        let data = try DataDirectory.open(at: path, create: true)
        do { try data.createTopic(topic, config: TopicConfig()) } catch StorageError.topicAlreadyExists(_) {}
        let log = try PartitionLog(folder: data.partitionFolder(topic, 0), config: TopicConfig(), fileSystem: FileSystem(), clock: ManualClock())
        try Batches.append([Self.records(["r\(index)"])], to: log)
        try log.sync()
        outcomes.add(nil)
      } catch { outcomes.add("\(error)") }
    }
    #expect(outcomes.errors == [])
    let reader = PartitionReader(folder: FileNames(root: path).partitionFolder(topic, 0), fileSystem: FileSystem())
    try reader.seek(to: 0)
    var values: [String] = []
    while let batch = try reader.nextBatch() { values += try batch.records().map { String(decoding: $0.record.value ?? [], as: UTF8.self) } }
    #expect(values.sorted() == (0..<8).map { "r\($0)" }.sorted())
  }

  final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [String?] = []
    func add(_ outcome: String?) { lock.withLock { all.append(outcome) } }
    var errors: [String] { lock.withLock { all.compactMap { $0 } } }
  }

  @Test("deleting a topic syncs the data directory a few times however many partitions it has, and leaves nothing", arguments: [1, 64])
  func deletionSyncsOnce(partitions: Int) throws {
    let directory = try TemporaryDirectory("kq-delete-syncs")
    let journal = FileJournal()
    let data = try DataDirectory.open(at: directory.at("data"), create: true, fileSystem: FileSystem(journal: journal))
    var config = TopicConfig()
    config.partitions = partitions
    let topic = try TopicName("many")
    try data.createTopic(topic, config: config)
    let group = try GroupName("g")
    try data.commit(group: group, topic: topic, partition: 0, offset: 0)
    let before = journal.entries.count
    try data.deleteTopic(topic)
    let syncs = journal.entries[before...].filter { if case .syncDirectory = $0 { return true } else { return false } }
    // The configuration's removal, the partitions' moves, the groups' offsets: 3, not 1 + partitions.
    #expect(syncs.count <= 3, "\(syncs)")
    #expect(try data.partitionFoldersOnDisk(topic).isEmpty)
    #expect(throws: StorageError.topicNotFound("many")) { try data.config(of: topic) }
    try data.createTopic(topic, config: config)
    #expect(try data.committedOffsets(group: group, topic: topic) == [:])
  }
}
