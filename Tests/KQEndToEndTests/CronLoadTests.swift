import Glibc
import KQTestSupport
import Testing

/// Issue 4's cron story with real processes: a producer appends while a loop of
/// `kq consume --group loader --exec CMD` runs, some runs killed with SIGKILL at random
/// moments, some CMDs failing on purpose. Every record must be loaded, and a record loaded
/// twice only when a kill fell between CMD's success and kq's commit.
@Suite("cron batch loads")
struct CronLoadTests {
  /// The loader CMD: takes its batch, fails when $FAIL is set, else writes a `#batch` line to
  /// `marks` and then appends the batch to `out`. A kill of kq kills its CMD too, at any point:
  /// marking before loading means a CMD killed in between only overstates what was loaded.
  /// `#start` (with the shell's pid) first, so the test can wait until every CMD has ended.
  static let loader = """
    echo "#start $RUN $KQ_PARTITION $KQ_FIRST_OFFSET $KQ_LAST_OFFSET $$" >> marks
    cat > "batch.$$"
    if [ "$FAIL" != 0 ]; then
      echo "#fail $RUN $KQ_PARTITION $KQ_FIRST_OFFSET $KQ_LAST_OFFSET" >> marks; rm -f "batch.$$"; exit "$FAIL"
    fi
    echo "#batch $RUN $KQ_PARTITION $KQ_FIRST_OFFSET $KQ_LAST_OFFSET" >> marks
    cat "batch.$$" >> out
    rm -f "batch.$$"
    """

  struct Mark {
    var kind: String
    var run: Int
    var partition: Int
    var first: Int64
    var last: Int64
  }

  @Test("killed and failing cron runs lose no record and duplicate only across a kill after CMD's success", arguments: [41, 42, 43] as [UInt64])
  func cronStory(seed: UInt64) throws {
    var random = SeededGenerator(seed: seed)
    let kq = try KQSandbox()
    try kq.ok("topic", "create", "events", "--partitions", "3")
    try kq.write(Self.loader, to: "load.sh")
    let producer = try kq.start("produce", "events")
    var produced: [String] = []
    func produce(_ count: Int) {
      let values = (produced.count..<(produced.count + count)).map { "e" + String(100_000 + $0) }
      produced += values
      producer.write(values.map { $0 + "\n" }.joined())
    }

    // On Tansu every run's join takes 3 s (half the 6 s session) and a killed run's partitions
    // wait out its session: 30 runs took 203 s there.
    let runs = TestBackend.isCluster ? 10 : 30
    var killed: Set<Int> = []
    for run in 0..<runs {
      produce(Int.random(in: 5...25, using: &random))
      let fail = Int.random(in: 0..<6, using: &random) == 0 ? 3 : 0
      let kill = Int.random(in: 0..<3, using: &random) == 0
      let delay = UInt32.random(in: 0...40_000, using: &random)
      let consumer = try kq.startShell(
        "exec kq consume events --group loader --batch 7 --exec 'sh load.sh'", environment: ["RUN": String(run), "FAIL": String(fail)])
      produce(Int.random(in: 0...10, using: &random))
      if kill {
        usleep(delay)  // the random moment of the kill, not a wait for an event
        consumer.signal(SIGKILL)
      }
      let ended = try consumer.finish()
      if ended.status == 137 {
        killed.insert(run)
      } else {
        #expect(ended.status == 0 || ended.status == Int32(fail), "run \(run): \(ended)")
        #expect(fail != 0 || ended.status == 0, "run \(run): \(ended)")
      }
    }
    producer.closeInput()
    #expect(try producer.finish().status == 0)
    let last = try kq.startShell("exec kq consume events --group loader --batch 7 --exec 'sh load.sh'", environment: ["RUN": String(runs), "FAIL": "0"])
    let drained = try last.finish()
    #expect(drained.status == 0, "\(drained)")

    // A killed kq takes its CMD with it: every CMD started has ended, on its own or killed.
    let startedShells = kq.read("marks").split(separator: "\n").compactMap { line -> Int32? in
      let fields = line.split(separator: " ")
      return fields.first == "#start" && fields.count == 6 ? Int32(fields[5]) : nil
    }
    #expect(eventually { !startedShells.contains(where: ProcessTable.isAlive) })
    let marks = kq.read("marks").split(separator: "\n").compactMap { line -> Mark? in
      let fields = line.split(separator: " ")
      guard fields.count >= 5, let run = Int(fields[1]), let partition = Int(fields[2]), let first = Int64(fields[3]),
        let last = Int64(fields[4])
      else { return nil }
      return Mark(kind: String(fields[0]), run: run, partition: partition, first: first, last: last)
    }
    // A CMD that never finished belongs to a run that was killed.
    for start in marks where start.kind == "#start" {
      let ended = marks.contains { $0.kind != "#start" && $0.run == start.run && $0.partition == start.partition && $0.first == start.first }
      #expect(ended || killed.contains(start.run), "run \(start.run)'s CMD for \(start.partition):\(start.first) never ended, and no kill explains it")
    }
    let batches = marks.filter { $0.kind == "#batch" }
    var lastBatchOfRun: [Int: Int] = [:]
    for (index, mark) in batches.enumerated() { lastBatchOfRun[mark.run] = index }

    let stored = try kq.ok("consume", "events", "--format", "%p %o %s\\n").lines.map { $0.split(separator: " ") }
    #expect(stored.map { String($0[2]) }.sorted() == produced.sorted(), "the producer lost records")
    var loaded: [String: Int] = [:]
    for line in kq.read("out").split(separator: "\n") { loaded[String(line), default: 0] += 1 }
    #expect(loaded.keys.count == produced.count, "out has lines that were never produced, or misses some")

    var duplicates = 0
    for record in stored {
      let (partition, offset, value) = (Int(record[0]) ?? -1, Int64(record[1]) ?? -1, String(record[2]))
      let times = loaded[value] ?? 0
      #expect(times >= 1, "record \(value) at \(partition):\(offset) was never loaded")
      let covering = batches.indices.filter {
        batches[$0].partition == partition && batches[$0].first <= offset && offset <= batches[$0].last
      }
      #expect(times <= covering.count, "\(value) loaded \(times) times by \(covering.count) successful CMDs")
      guard times > 1 else { continue }
      duplicates += times - 1
      for index in covering.dropLast() {
        let mark = batches[index]
        #expect(
          killed.contains(mark.run) && lastBatchOfRun[mark.run] == index,
          "\(value) at \(partition):\(offset) loaded again after run \(mark.run)'s batch \(mark.first)-\(mark.last), which no kill explains")
      }
    }
    #expect(duplicates <= killed.count * 7, "more duplicates than kills could leave")
  }
}
