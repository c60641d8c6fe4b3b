import Foundation
import KQTestSupport
import Testing

@testable import KQStorage
import KQLog

/// `MarkedOutput.end` appends a range's output on a thread while the next range is encoded.
@Suite("pipe output: appends on a thread")
struct MarkedOutputAppendTests {
  enum Reporter: CaseIterable { case commit, nextEnd }

  @Test("an append that fails on the thread is thrown by the next end or by commit, and its range is not committed", arguments: Reporter.allCases)
  func failedAppendIsReported(by reporter: Reporter) throws {
    let setup = try MarkedOutputTests.Setup(partitions: 1)
    let plan = FaultPlan()
    let data = try DataDirectory.open(at: setup.fixture.data.path, create: false, fileSystem: plan.fileSystem, clock: setup.fixture.clock)
    let output = MarkedOutput(directory: data, group: setup.group, topic: setup.output, config: setup.outputConfig)
    _ = try output.resume([setup.input], start: { _ in 0 })
    try setup.process(0..<10, into: output)
    try output.commit()
    plan.arm(.write, pathSuffix: setup.logPath(0), .fail(.noSpace))
    try setup.process(10..<20, into: output)  // its append fails on the thread
    let failure = StorageError.io(.noSpace, operation: "write", path: setup.logPath(0))
    switch reporter {
    case .commit:
      #expect(throws: failure) { try output.commit() }
    case .nextEnd:
      #expect(throws: failure) { try setup.process(20..<30, into: output) }
    }
    // The range whose append failed is never committed, however often kq tries.
    #expect(throws: failure) { try output.commit() }
    #expect(plan.fired == ["write \(setup.logPath(0))"])
    #expect(try setup.committed() == 10)
    #expect(try setup.stored(0) == setup.expected(0..<10)[0])
    output.close()
    // The next run processes the range again, and nothing is lost or written twice.
    let resumed = setup.open()
    let resume = try resumed.resume([setup.input], start: { _ in 0 })
    #expect(resume[setup.input] == InputResume(offset: 10, replays: []))
    try setup.process(10..<30, into: resumed)
    try resumed.commit()
    #expect(try setup.stored(0) == setup.expected(0..<30)[0])
  }

  @Test("prepare makes both sets' encoders for a partition and returns their memory; ranges go through them as through any")
  func prepareMakesBothSets() throws {
    let setup = try MarkedOutputTests.Setup(partitions: 1)
    let output = setup.open()
    let regions = output.prepare(bytes: 9 << 20, partition: 0)
    #expect(regions.count == 2)
    #expect(regions.allSatisfy { $0.count == 8 << 20 })
    #expect(regions[0].baseAddress != regions[1].baseAddress)
    for region in regions { PagePopulation.populate(region) }
    #expect(output.prepare(bytes: 9 << 20, partition: 0).isEmpty, "made once")
    #expect(output.prepare(bytes: 9 << 20, partition: 1).isEmpty, "no such partition")
    _ = try output.resume([setup.input], start: { _ in 0 })
    for start in stride(from: Int64(0), to: 30, by: 6) { try setup.process(start..<(start + 6), into: output) }
    try output.commit()
    #expect(try setup.committed() == 30)
    #expect(try setup.stored(0) == setup.expected(0..<30)[0])
  }

  @Test("commit waits for the append on the thread: every range ended is stored and committed, in order")
  func commitWaitsForTheAppend() throws {
    let setup = try MarkedOutputTests.Setup()
    let output = setup.open()
    _ = try output.resume([setup.input], start: { _ in 0 })
    for start in stride(from: Int64(0), to: 60, by: 6) { try setup.process(start..<(start + 6), into: output) }
    try output.commit()
    #expect(try setup.committed() == 60)
    #expect(try [setup.stored(0), setup.stored(1)] == setup.expected(0..<60))
    #expect(setup.fixture.data.pipeCheckpoint(group: setup.group, input: setup.input)
      == PipeCheckpoint(output: setup.output, offsets: [0: Int64(setup.expected(0..<60)[0].count), 1: Int64(setup.expected(0..<60)[1].count)]))
  }
}
