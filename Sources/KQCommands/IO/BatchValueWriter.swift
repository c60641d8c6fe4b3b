import Glibc
import KQLog

/// Consume's bulk path to a regular file or /dev/null (see `Consumer`): whole batches that local
/// readers handed out unchecked (`nextUncheckedBatch`) are gathered into jobs of about
/// `jobBytes` bytes of values. A job's batches are checked (CRC), decoded when compressed, their
/// values copied into one buffer, on this thread or a second one. The second thread writes the
/// copied jobs strictly in the order gathered (so the output's bytes are those one thread would
/// write), and copies a queued job while none is ready to write: to a regular file the writes
/// cost about as much as everything else together, and go on without a break while this
/// thread gathers and copies the next jobs. This thread writes only a job it copied whose turn
/// it is while the second thread is busy copying (decoding compressed batches, where copying
/// is the larger part), so those bytes are written from the cache of the core that made them.
/// While jobs are in flight the two threads run on different cores (`CoreSplit`).
///
/// A batch that fails its checks (or decoding) ends the bulk path: the values before it are
/// written, nothing after it, and `takeFailure` tells the consumer where each cursor's unwritten
/// records begin, to read them again the checked way, which reports the damage as usual (or, at
/// the end of the newest segment, waits out a write in progress).
final class BatchValueWriter: @unchecked Sendable {
  /// About this many bytes of values a job: a stored batch counts its size, a compressed one
  /// `compressedWeight` times its size (log lines compress 2.5-3 times).
  static let jobBytes = 768 << 10
  static let compressedWeight = 3
  /// At most this many jobs wait, copied, for an earlier one to be written.
  static let maxReady = 2

  /// Where unwritten records begin, per cursor index, after a batch failed its checks or a
  /// write failed.
  struct Failure {
    var writeFailure: Errno?
    /// The first unwritten batch's base offset, and how many records were counted as delivered
    /// from there on.
    var unwritten: [Int: (offset: Int64, records: Int)] = [:]
  }

  private struct Entry {
    enum Bytes {
      /// In one of the job's `windows`.
      case mapped(RecordBatchView)
      /// Copied into the job's `copies` (bytes in a reader's buffer, valid only until its next call).
      case copied(at: Int, size: Int)
    }
    let bytes: Bytes
    let cursor: Int
    let baseOffset: Int64
    let records: Int
    let maxMessageBytes: Int
  }

  private final class Job {
    let sequence: Int
    var entries: [Entry] = []
    /// The memory the `.mapped` entries lie in, let go by the gathering thread once the values
    /// are copied (`isCopied`), not once written: fewer windows stay mapped meanwhile.
    var windows: [any BatchMemory] = []
    let copies = ByteBuffer(capacity: 0)
    var weight = 0
    // Set by the thread that runs the job, read by the gatherer once `isDone` (under `monitor`).
    var entriesFormatted = 0
    var entriesWritten = 0
    var bytesWritten = 0
    var writeFailure: Errno?
    var isCopied = false
    var isDone = false
    init(sequence: Int) { self.sequence = sequence }
  }

  /// One thread's reused buffers: the job's values, and a compressed batch's records.
  private final class Scratch {
    let output = ByteBuffer(capacity: 0)
    let decoded = ByteBuffer(capacity: 0)
  }

  private let fd: CInt
  private let terminator: UInt8
  private var gathering: Job?
  private var nextSequence = 0
  /// Jobs handed out and not yet collected, oldest first (the gathering thread's).
  private var inFlight: [Job] = []
  private var failure: Failure?
  private var work: BackgroundWork?
  private var threadFailed = false
  /// The two threads on different cores while jobs are in flight (from a hand-over to `finish`);
  /// this thread gets its cores back between (`holdsCore` while it is confined).
  private var cores: CoreSplit?
  private var holdsCore = false
  private let monitor = Monitor()
  // Guarded by `monitor`:
  /// Jobs gathered and not yet taken by a thread, oldest first.
  private var queue: [Job] = []
  /// Jobs whose values are copied, waiting for their turn to be written, by sequence.
  private var ready: [Int: (job: Job, scratch: Scratch)] = [:]
  private var spareScratch: [Scratch] = []
  private var nextToWrite = 0
  /// Whether a thread is writing the ready jobs in turn.
  private var isWriting = false
  /// Whether the second thread is copying a job's values.
  private var helperCopies = false
  /// Set once a job did not write all of its entries: no later job writes.
  private var isAborted = false
  private var stopping = false
  /// Called by the thread about to copy a job's values, with the job's number (tests delay one
  /// thread with it). Set before the first `add`.
  var beforeCopying: ((Int) -> Void)?

  /// A writer for `sink` when it is a descriptor on a regular file or /dev/null, else nil
  /// (a pipe or a terminal: a write there may wait on a reader or be cut short by a signal).
  static func forFileOrNull(_ sink: any ByteSink, terminator: UInt8) -> BatchValueWriter? {
    guard let fdSink = sink as? FileDescriptorSink else { return nil }
    var info = stat()
    guard fstat(fdSink.fd, &info) == 0 else { return nil }
    if (info.st_mode & S_IFMT) == S_IFCHR {
      var null = stat()
      guard stat("/dev/null", &null) == 0, (null.st_mode & S_IFMT) == S_IFCHR, null.st_rdev == info.st_rdev else {
        return nil
      }
    } else if (info.st_mode & S_IFMT) != S_IFREG {
      return nil
    }
    return BatchValueWriter(fd: fdSink.fd, terminator: terminator)
  }

  private init(fd: CInt, terminator: UInt8) {
    self.fd = fd
    self.terminator = terminator
  }

  deinit {
    monitor.broadcasting { stopping = true }
    work?.wait()
    releaseCore()
  }

  /// Adds a whole batch, wanted entirely, whose `records` records the caller counts as delivered.
  /// Runs a job once one is gathered.
  func add(_ batch: UncheckedBatch, cursor: Int, records: Int) {
    let job = gathering ?? newJob()
    let view = batch.view
    let bytes: Entry.Bytes
    if let memory = batch.memory {
      bytes = .mapped(view)
      if job.windows.last !== memory { job.windows.append(memory) }
    } else {
      bytes = .copied(at: job.copies.count, size: view.size)
      job.copies.append(view.base, count: view.size)
    }
    job.entries.append(
      Entry(bytes: bytes, cursor: cursor, baseOffset: view.baseOffset, records: records, maxMessageBytes: batch.maxMessageBytes))
    job.weight += view.compressionCodec == 0 ? view.size : view.size * Self.compressedWeight
    if job.weight >= Self.jobBytes { hand(job) }
  }

  private func newJob() -> Job {
    let job = Job(sequence: nextSequence)
    nextSequence += 1
    gathering = job
    return job
  }

  /// Runs what is gathered and waits until every job is written (or skipped after a failure).
  /// Returns the bytes written since the last call.
  @discardableResult
  func finish() -> Int {
    if let job = gathering { hand(job) }
    while let job = takeQueued(leaving: 0) { process(job) }
    monitor.lock()
    while nextToWrite < nextSequence { monitor.wait() }
    monitor.unlock()
    releaseCore()
    return collect()
  }

  /// What failed, once: nil while every job so far wrote all it held.
  func takeFailure() -> Failure? {
    defer { failure = nil }
    return failure
  }

  /// Whether anything failed since the last `takeFailure`.
  var hasFailed: Bool { failure != nil }

  /// Queues `job` for the second thread, and runs queued jobs here while more than one waits:
  /// the gathering thread reads on while the other works, and works while a job waits anyway.
  private func hand(_ job: Job) {
    gathering = nil
    inFlight.append(job)
    monitor.lock()
    queue.append(job)
    monitor.broadcast()
    monitor.unlock()
    // One job that is not full is the whole read: no thread for it.
    if work == nil && !threadFailed && (job.sequence > 0 || job.weight >= Self.jobBytes) {
      cores = CoreSplit()
      work = BackgroundWork.start { [self] in serve() }
      threadFailed = work == nil
    }
    if work != nil && !holdsCore, let cores {
      holdsCore = cores.confineCaller()
      if !holdsCore { self.cores = nil }  // refused: not asked again at every job
    }
    while let queued = takeQueued(leaving: work == nil ? 0 : 1) { process(queued) }
    collect()
  }

  private func releaseCore() {
    guard holdsCore else { return }
    cores?.releaseCaller()
    holdsCore = false
  }

  /// The oldest queued job, when more than `leaving` are queued.
  private func takeQueued(leaving: Int) -> Job? {
    monitor.lock()
    defer { monitor.unlock() }
    guard queue.count > leaving else { return nil }
    return queue.removeFirst()
  }

  /// Takes the finished jobs, oldest first, noting what they left unwritten, and lets go of
  /// the windows of the jobs copied (unmapped here, after the unlock).
  @discardableResult
  private func collect() -> Int {
    var written = 0
    var released: [any BatchMemory] = []
    defer { withExtendedLifetime(released) {} }
    monitor.lock()
    for job in inFlight where job.isCopied && !job.windows.isEmpty {
      released += job.windows
      job.windows.removeAll()
    }
    while let job = inFlight.first, job.isDone {
      inFlight.removeFirst()
      written += job.bytesWritten
      guard job.entriesWritten < job.entries.count || job.writeFailure != nil else { continue }
      var noted = failure ?? Failure()
      noted.writeFailure = noted.writeFailure ?? job.writeFailure
      for entry in job.entries[job.entriesWritten...] {
        let before = noted.unwritten[entry.cursor]
        noted.unwritten[entry.cursor] = (before?.offset ?? entry.baseOffset, (before?.records ?? 0) + entry.records)
      }
      failure = noted
    }
    monitor.unlock()
    return written
  }

  /// The second thread: writes the ready jobs in turn unless the gathering thread is writing
  /// them, else copies the oldest queued job, else waits.
  private func serve() {
    cores?.enterSecondThread()
    monitor.lock()
    while true {
      if !isWriting && ready[nextToWrite] != nil {
        writeReady()
      } else if !queue.isEmpty {
        let job = queue.removeFirst()
        helperCopies = true
        monitor.unlock()
        copy(job, mayWait: false)
        monitor.lock()
        helperCopies = false
      } else if stopping {
        break
      } else {
        monitor.wait()
      }
    }
    monitor.unlock()
  }

  /// The gathering thread's part of a job: copies its values, then writes the jobs ready in
  /// turn when there is no second thread, or when the second thread is copying and this job's
  /// turn has come.
  private func process(_ job: Job) {
    copy(job, mayWait: true)
    monitor.lock()
    if work == nil || (helperCopies && !isWriting && job.sequence == nextToWrite) { writeReady() }
    monitor.unlock()
  }

  /// Checks and copies the job's values into a scratch buffer, ready to write. The gathering
  /// thread waits first while `maxReady` copied jobs wait for an earlier one (being copied by the
  /// second thread): a thread that fell behind (descheduled) must not let the other run far
  /// ahead. The job whose turn it is never waits (it is what the others wait for), nor does the
  /// second thread (it writes the jobs the gathering thread waits on).
  private func copy(_ job: Job, mayWait: Bool) {
    beforeCopying?(job.sequence)
    monitor.lock()
    while mayWait && ready.count >= Self.maxReady && job.sequence != nextToWrite { monitor.wait() }
    let scratch = spareScratch.popLast() ?? Scratch()
    monitor.unlock()
    job.entriesFormatted = format(job, scratch)
    monitor.lock()
    ready[job.sequence] = (job, scratch)
    job.isCopied = true
    monitor.broadcast()
    monitor.unlock()
  }

  /// Writes every job that is ready in turn; called and returning with `monitor` locked.
  private func writeReady() {
    isWriting = true
    while let (job, output) = ready.removeValue(forKey: nextToWrite) {
      let skips = isAborted
      monitor.unlock()
      if !skips {
        let done = OutputWriterThread.write(fd, output.output)
        job.bytesWritten = done.written
        job.writeFailure = done.failure
        job.entriesWritten = done.failure == nil ? job.entriesFormatted : 0
      }
      monitor.lock()
      if job.entriesWritten < job.entries.count || job.writeFailure != nil { isAborted = true }
      job.isDone = true
      nextToWrite += 1
      spareScratch.append(output)
      monitor.broadcast()
    }
    isWriting = false
  }

  /// Copies the values of the job's batches into `scratch.output`, up to the first batch that
  /// fails its checks; returns how many batches it copied. Nothing at all when a mapped page
  /// turned to zeros meanwhile (the file was cut under its mapping).
  private func format(_ job: Job, _ scratch: Scratch) -> Int {
    let output = scratch.output
    output.count = 0
    let memory = job.windows.first
    let generation = memory?.faultGeneration
    var formatted = 0
    for entry in job.entries {
      let view: RecordBatchView
      switch entry.bytes {
      case .mapped(let mapped): view = mapped
      case .copied(let at, let size): view = RecordBatchView(unchecked: UnsafeRawPointer(job.copies.base + at), size: size)
      }
      let mark = output.count
      do throws(BatchDecodeError) {
        try view.validateCRC()
        let plain =
          view.compressionCodec == 0
          ? view : try view.decompressed(into: scratch.decoded, maxMessageBytes: entry.maxMessageBytes)
        guard try plain.appendValues(into: output, terminator: terminator) == entry.records else {
          output.count = mark
          break
        }
      } catch {
        output.count = mark
        break
      }
      formatted += 1
    }
    if let memory, memory.faultGeneration != generation {
      output.count = 0
      return 0
    }
    return formatted
  }
}
